"""A hand-written, hand-labelled corpus of debate questions for "lijkt op" (app/questions/similar.py), and the
measurement that scores the similarity index against it.

The questions are what aldermen, mayors, council members and staff of the G40 cities would type into Samen during
Het G40Gesprek (December 2020: a new cabinet after the elections of March 2021), with their typos, missing
diacritics, shorthand and the odd English question. GROUPS are the ground truth: the questions of one group ask
the same thing in other words, so a moderator would merge them. Everything else is a different question, and many
of those are deliberately on the same theme as a group (same topic, another question): the hard negatives.
A few group members share almost no words with their group (another angle, another language): they are kept,
because a moderator would merge them, and they are what a lexical method misses.

Arrival order is a fixed shuffle (ARRIVAL_SEED), so duplicates arrive scattered through the debate as they would.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass

ARRIVAL_SEED = 4122020  # the network day, 4 December 2020

GROUPS: dict[str, tuple[str, ...]] = {
    # --- financiële verhoudingen: opschalingskorting, gemeentefonds, belastinggebied ---
    "opschalingskorting-schrappen": (
        "Hoe voorkomen we dat de opschalingskorting weer bij de G40 terechtkomt?",
        "Gaat het nieuwe kabinet de opschalingskorting schrappen, of betalen de middelgrote steden weer de rekening?",
        "Wordt de opschalingskorting na 2021 nu definitief afgeschaft? Wij hebben in onze meerjarenbegroting al "
        "half gerekend op dat geld.",
        "opschalingskortng moet echt van tafel, hoe zorgen we dat dat in het regeerakkoord komt??",
    ),
    "gemeentefonds-herijking-nadeel": (
        "De herijking van het gemeentefonds pakt voor veel G40-steden nadelig uit. Hoe gaan we dat samen keren?",
        "Onze stad gaat er door de nieuwe verdeling van het gemeentefonds flink op achteruit. Wat doet de G40 "
        "daartegen?",
        "Herverdeling gemeentefonds: wij verliezen tientallen euro's per inwoner. Is er een gezamenlijke lobby "
        "richting BZK om de nadeelgemeenten te beschermen?",
    ),
    "accres-voorspelbaarheid": (
        "Komt er eindelijk een stabielere normeringssystematiek voor het gemeentefonds, zodat we niet elk jaar bij "
        "de meicirculaire schrikken?",
        "Het trap-op-trap-af systeem maakt onze begroting onvoorspelbaar. Pleit de G40 voor een ander "
        "accres-mechanisme?",
        "Hoe krijgen we meer voorspelbaarheid in het accres? Elke circulaire gooit onze meerjarenraming weer om.",
    ),
    "eigen-belastinggebied": (
        "Moeten gemeenten niet een groter eigen belastinggebied krijgen, zodat we minder afhankelijk zijn van "
        "Den Haag?",
        "Is de G40 voor een ruimer lokaal belastinggebied, bijvoorbeeld door een deel van de inkomstenbelasting "
        "naar gemeenten te schuiven?",
        "Meer eigen belastinggebied voor gemeenten: staat dat op de G40-lijst voor de formatie?",
    ),
    "centrumfunctie-vergoeden": (
        "Als centrumgemeente betalen wij voor voorzieningen die de hele regio gebruikt. Wordt die centrumfunctie "
        "beter vergoed in het gemeentefonds?",
        "Onze stad draagt de lasten van de centrumfunctie (zwembad, theater, opvang) terwijl de randgemeenten "
        "meeprofiteren. Hoe krijgen we dat eerlijker verdeeld?",
    ),
    "decentralisatie-zonder-geld": (
        "Worden er in de nieuwe kabinetsperiode weer taken naar gemeenten gedecentraliseerd zonder bijbehorend "
        "budget?",
        "Hoe voorkomen we dat er nieuwe decentralisaties komen met een korting erop, zoals in 2015?",
        "Gaat de G40 eisen dat er geen nieuwe taken naar gemeenten gaan zonder dat het geld meekomt?",
    ),
    # --- jeugdzorg ---
    "jeugdzorg-structureel-geld": (
        "Wanneer krijgen gemeenten structureel voldoende geld voor de jeugdzorg? Het AEF-onderzoek laat een tekort "
        "van 1,6 tot 1,9 miljard per jaar zien.",
        "Het tekort op jeugdzorg is volgens AEF bijna 2 miljard per jaar. Gaat het nieuwe kabinet dat eindelijk "
        "structureel compenseren?",
        "Jeugzorg: onze tekorten lopen elk jaar op, komt er nou echt structureel extra geld van het rijk of blijft "
        "het bij incidentele potjes?",
        "Will the new cabinet finally fund the structural deficit in youth care?",
    ),
    "jeugdwet-reikwijdte": (
        "Moet de reikwijdte van de Jeugdwet niet worden ingeperkt, zodat niet elk licht probleem in de jeugdzorg "
        "belandt?",
        "Hoe kunnen we de jeugdzorg beter afbakenen: wat hoort er wel en wat niet onder de Jeugdwet?",
        "Is de G40 voorstander van het versmallen van de jeugdzorg tot echte zorg, met lichte ondersteuning terug "
        "naar onderwijs en gezin?",
    ),
    "commissie-van-wijzen": (
        "Wat verwacht de G40 van de Commissie van Wijzen over de jeugdzorgmiddelen?",
        "Als de Commissie van Wijzen gemeenten gelijk geeft over de jeugdzorgtekorten, gaat het rijk die uitspraak "
        "dan ook echt volgen?",
        "Is het kabinet gebonden aan het oordeel van de arbitragecommissie over jeugdzorg, of kan het dat naast "
        "zich neerleggen?",
    ),
    "jeugdhulp-regionale-inkoop": (
        "Hoe organiseren we de inkoop van specialistische jeugdzorg regionaal zonder dat elke gemeente eigen "
        "contracteisen stelt?",
        "Regionale inkoop van jeugdhulp loopt bij ons vast op verschillende eisen per gemeente. Hoe lossen andere "
        "regio's dat op?",
    ),
    # --- wonen ---
    "minister-van-wonen": (
        "Moet er in het nieuwe kabinet weer een echte minister van Volkshuisvesting komen?",
        "Pleit de G40 voor een apart ministerie van Wonen, zodat de regie op de woningbouw terugkomt bij het rijk?",
        "Komt er een minister voor wonen met doorzettingsmacht? Zonder regie vanuit Den Haag komt de bouw niet op "
        "gang.",
    ),
    "verhuurderheffing": (
        "Wordt de verhuurderheffing afgeschaft, zodat corporaties weer kunnen bouwen en verduurzamen?",
        "Zonder afschaffing van de verhuurderheffing kunnen onze woningcorporaties niet investeren. Zet de G40 daar "
        "vol op in?",
        "Kan de verhuurdersheffing eraf? Onze corporatie zegt dat ze anders geen sociale huurwoningen meer kan "
        "bijbouwen.",
    ),
    "woningbouwimpuls-verdeling": (
        "De woningbouwimpuls lijkt vooral naar de grote vier steden te gaan. Hoe zorgen we dat middelgrote steden "
        "ook aan bod komen?",
        "Waarom vallen zoveel G40-projecten buiten de criteria van de woningbouwimpuls?",
        "Krijgen de G40-steden een eerlijk deel van het geld uit de woningbouwimpuls, of gaat het weer naar de "
        "Randstad?",
    ),
    "starters-koopwoning": (
        "Hoe houden we koopwoningen betaalbaar voor starters in onze steden?",
        "Jonge mensen kunnen in onze stad geen huis meer kopen. Welke instrumenten vraagt de G40 aan het kabinet om "
        "starters te helpen?",
    ),
    "dakloze-jongeren": (
        "Dakloosheid onder jongeren stijgt. Wat vraagt de G40 van het kabinet om dit aan te pakken?",
        "Het aantal dakloze jongeren in onze stad groeit hard. Komt er vanuit het rijk een aanpak, met geld erbij?",
        "Steeds meer jongeren zonder dak boven hun hoofd, ook hier in Deventer. Wat gaat Den Haag daaraan doen?",
    ),
    "middenhuur-regulering": (
        "Moet de middenhuur niet gewoon gereguleerd worden, net als de sociale huur?",
        "Is de G40 voor huurprijsregulering in het middensegment, zodat leraren en verpleegkundigen nog in de stad "
        "kunnen wonen?",
    ),
    # --- energie ---
    "uitvoeringskosten-klimaatakkoord": (
        "De ROB heeft becijferd dat gemeenten extra geld nodig hebben voor de uitvoering van het klimaatakkoord. "
        "Komt dat geld er?",
        "Krijgen gemeenten van het nieuwe kabinet genoeg middelen en mensen om het klimaatakkoord uit te voeren?",
        "Wij hebben geen capaciteit om de transitievisie warmte en de RES uit te voeren. Gaat het rijk de "
        "uitvoeringskosten van het klimaatakkoord betalen?",
    ),
    "netcongestie": (
        "Ons stroomnet zit vol: nieuwe zonneparken en bedrijven kunnen niet worden aangesloten. Wat gaat het "
        "kabinet hieraan doen?",
        "Netcongestie remt bij ons de energietransitie én de economie. Hoe krijgen we netbeheerders sneller aan het "
        "uitbreiden?",
        "Er is geen transportcapaciteit meer op het elektriciteitsnet in onze regio. Kan de G40 aandringen op "
        "snellere netuitbreiding?",
    ),
    "aardgasvrij-betaalbaar": (
        "Hoe maken we het aardgasvrij maken van wijken betaalbaar voor bewoners met een kleine portemonnee?",
        "Woonlastenneutraal van het gas af lukt niet in onze oudere wijken. Hoe voorkomen we dat lage inkomens de "
        "rekening betalen?",
        "Energiearmoede ligt op de loer als huishoudens zelf de warmtepomp moeten betalen. Wat doen we daaraan bij "
        "het aardgasvrij maken?",
    ),
    "warmtenetten-publiek": (
        "Moeten warmtenetten in publieke handen komen, net als het water- en het elektriciteitsnet?",
        "Is de G40 voor publiek eigendom van warmtenetten, of laten we dat over aan commerciële partijen?",
    ),
    # --- regio ---
    "regio-democratische-legitimiteit": (
        "Hoe versterken we de democratische controle op regionale samenwerkingsverbanden? Raadsleden voelen zich "
        "buitenspel staan.",
        "Gemeenteraden hebben weinig grip op gemeenschappelijke regelingen. Hoe zorgen we voor meer democratische "
        "legitimiteit in de regio?",
        "De regio neemt steeds meer besluiten en de raad mag alleen nog ja zeggen. Moet de Wet gemeenschappelijke "
        "regelingen niet op de schop?",
        "How do we keep regional cooperation democratically accountable to the city councils?",
    ),
    "regio-deals": (
        "Komen er in de nieuwe kabinetsperiode weer Regio Deals, en hoe zorgen we dat de G40-regio's daarin "
        "meedoen?",
        "Worden de Regio Deals voortgezet na de verkiezingen? Voor onze regio was het een belangrijke impuls.",
        "Blijft het instrument regiodeal bestaan onder een nieuw kabinet?",
    ),
    # --- één overheid ---
    "gelijkwaardige-overheid": (
        "Hoe zorgen we dat het rijk gemeenten als gelijkwaardige overheid behandelt in plaats van als "
        "uitvoeringsloket?",
        "Gemeenten worden door Den Haag vaak als uitvoerder gezien. Hoe worden we een volwaardige partner in 'één "
        "overheid'?",
        "Wat betekent 'één overheid' eigenlijk als het rijk ons taken geeft zonder dat we mee mogen praten over "
        "het beleid?",
    ),
    "uitvoeringstoets": (
        "Kan er een verplichte uitvoeringstoets voor gemeenten komen voordat nieuwe wetten worden ingevoerd?",
        "Hoe zorgen we dat nieuwe wetgeving vooraf op uitvoerbaarheid door gemeenten wordt getoetst, en wij niet pas "
        "achteraf de problemen oplossen?",
    ),
    "toeslagenaffaire-gedupeerden": (
        "Hoe helpen gemeenten de gedupeerden van de toeslagenaffaire?",
        "Welke rol krijgen gemeenten bij de hulp aan ouders die slachtoffer zijn van het toeslagenschandaal?",
    ),
    # --- verkiezingen 2021 en formatie ---
    "g40-in-verkiezingsprogrammas": (
        "Welke G40-punten staan inmiddels in de verkiezingsprogramma's voor maart 2021?",
        "Is er al bekeken hoeveel van de G40-wensen de partijen in hun verkiezingsprogramma hebben overgenomen?",
        "Which parties have adopted the G40 agenda in their election manifestos so far?",
    ),
    "verkiezingen-coronaproof-kosten": (
        "Hoe organiseren gemeenten de Tweede Kamerverkiezingen coronaproof? Krijgen we daar extra geld voor?",
        "De verkiezingen in maart met corona: extra stembureaus, stemmen per brief voor ouderen... wie betaalt die "
        "extra kosten?",
        "Vergoedt het rijk de meerkosten van het coronaproof inrichten van stembureaus?",
    ),
    "g40-invloed-formatie": (
        "Hoe krijgt de G40 invloed op de kabinetsformatie na de verkiezingen?",
        "Gaat de G40 een eigen inbreng leveren voor de formatietafel, zoals de VNG dat ook doet?",
        "Is er een G40-brief aan de informateur in voorbereiding voor de formatie?",
    ),
    "opkomst-verhogen": (
        "Hoe motiveren we inwoners om te gaan stemmen in wijken met een lage opkomst?",
        "In sommige wijken stemt minder dan een derde. Wat doen jullie om de opkomst bij verkiezingen te verhogen?",
    ),
    # --- digitalisering ---
    "digitale-inclusie": (
        "Hoe zorgen we dat inwoners die niet digitaal vaardig zijn niet buiten de boot vallen nu alles online gaat?",
        "Digitale inclusie: een deel van onze inwoners kan niet met DigiD of een app overweg. Wat doen we voor hen?",
        "Veel ouderen en laaggeletterden haken af bij digitale dienstverlening. Hoe houden we de overheid voor "
        "iedereen toegankelijk?",
    ),
    "algoritmes-discriminatie": (
        "Hoe voorkomen we dat gemeenten algoritmes gebruiken die discrimineren, zoals bij de toeslagenaffaire?",
        "Welke waarborgen hebben jullie tegen discriminatie door risicomodellen en algoritmes in de bijstand of bij "
        "handhaving?",
    ),
    "cybersecurity": (
        "Na de hack bij Lochem: zijn onze gemeenten wel voldoende beschermd tegen cyberaanvallen?",
        "Hoe weerbaar zijn G40-gemeenten tegen ransomware? Moeten we niet samen investeren in cybersecurity?",
        "Is er geld van het rijk voor betere informatiebeveiliging nu gemeenten steeds vaker gehackt worden?",
    ),
    "samen-ict-inkopen": (
        "Kunnen G40-gemeenten niet samen software inkopen in plaats van elk apart met dezelfde leveranciers te "
        "onderhandelen?",
        "Waarom bouwt en koopt elke gemeente haar eigen systemen? Laten we als G40 gezamenlijk ICT inkopen.",
    ),
    # --- corona, economie, binnensteden ---
    "coronacompensatie": (
        "Worden alle coronakosten en gederfde inkomsten van gemeenten volledig gecompenseerd door het rijk?",
        "Wij lopen miljoenen mis aan parkeergeld en toeristenbelasting door corona. Komt er volledige compensatie?",
        "Is de coronacompensatie voor gemeenten tot nu toe genoeg? Bij ons dekt het maar de helft van de kosten.",
    ),
    "binnensteden-leegstand": (
        "Hoe houden we onze binnensteden levendig nu winkels door corona omvallen?",
        "Leegstand in de binnenstad neemt toe door corona en online winkelen. Welke steun vraagt de G40 voor "
        "binnensteden?",
        "Hoe voorkomen we dat onze centra uitsterven na de coronacrisis?",
    ),
    "jeugdwerkloosheid": (
        "Hoe vangen we de stijgende jeugdwerkloosheid door corona op?",
        "Jongeren verliezen als eersten hun baan in deze crisis. Wat doen we samen met het rijk om hen aan het werk "
        "te houden?",
    ),
    "mbo-stages": (
        "Door corona vinden mbo-studenten geen stageplek. Kunnen gemeenten daar iets aan doen?",
        "Veel mbo'ers kunnen hun opleiding niet afmaken omdat er geen stages zijn. Wat doen de G40-steden hieraan?",
    ),
    # --- sociaal domein ---
    "schulden-na-corona": (
        "Door corona komen veel meer huishoudens in de schulden. Is de schuldhulpverlening daarop berekend?",
        "Hoe bereiden we ons voor op de golf van schuldenproblematiek die na de coronasteun gaat komen?",
        "Verwachten jullie ook een forse toename van aanvragen voor schuldhulp volgend jaar, en hebben we daar de "
        "capaciteit voor?",
    ),
    "wmo-abonnementstarief": (
        "Het abonnementstarief in de Wmo zorgt voor een aanzuigende werking. Gaat de G40 pleiten voor afschaffing?",
        "Sinds het abonnementstarief van 19 euro vragen veel meer mensen huishoudelijke hulp aan. Kan de eigen "
        "bijdrage weer inkomensafhankelijk worden?",
        "Wmo-abonnementstarief: onze kosten voor huishoudelijke ondersteuning zijn explosief gestegen. Komt er een "
        "eigen bijdrage naar inkomen terug?",
    ),
    "participatiewet-menselijker": (
        "Moet de Participatiewet niet menselijker, met minder strenge regels voor mensen in de bijstand?",
        "Pleit de G40 voor meer ruimte in de bijstand, bijvoorbeeld om bij te verdienen zonder gekort te worden?",
        "Is de G40 voor een herziening van de Participatiewet zodat we maatwerk kunnen leveren in de bijstand?",
    ),
    "verwarde-personen": (
        "Hoe gaan jullie om met verwarde personen op straat nu de ggz zulke lange wachtlijsten heeft?",
        "Onze politie is veel tijd kwijt aan mensen met verward gedrag. Hoe regelen jullie de samenwerking met de "
        "ggz?",
    ),
    # --- veiligheid ---
    "ondermijning-geld": (
        "Hoe krijgen we meer capaciteit bij politie en OM om ondermijning in onze stad aan te pakken?",
        "Ondermijnende criminaliteit groeit ook buiten de Randstad. Komt er structureel geld voor de aanpak in "
        "middelgrote steden?",
        "Drugscriminaliteit is allang niet meer alleen een Amsterdams probleem. Krijgen de G40-steden ook rijksgeld "
        "voor de aanpak van ondermijning?",
    ),
    # --- bereikbaarheid ---
    "treinverbindingen": (
        "Hoe zorgen we dat de G40-steden goed per trein bereikbaar blijven als NS door corona treinen schrapt?",
        "NS dunt door corona de dienstregeling uit. Hoe voorkomen we dat middelgrote steden hun "
        "intercityverbindingen kwijtraken?",
    ),
    # --- onderwijs ---
    "lerarentekort": (
        "Het lerarentekort raakt ook onze scholen hard. Wat kunnen gemeenten doen?",
        "Hoe helpen jullie als gemeente schoolbesturen bij het tekort aan leraren?",
    ),
    # --- het G40-netwerk zelf ---
    "g40-en-g4": (
        "Werkt de G40 ook samen met de G4, of zijn we vooral concurrenten voor hetzelfde rijksgeld?",
        "Hoe verhoudt de lobby van de G40 zich tot die van de G4? Trekken we samen op richting het nieuwe kabinet?",
    ),
    "stedelijke-agenda": (
        "Pleit de G40 voor een nationale stedelijke agenda in het regeerakkoord, vergelijkbaar met Agenda Stad?",
        "Komt er in het nieuwe regeerakkoord een echte stedelijke agenda, zoals destijds Agenda Stad?",
    ),
    "kennis-delen-platform": (
        "Kunnen we na vandaag een digitale plek maken waar G40-ambtenaren kennis en voorbeelden delen?",
        "Is er een platform waar we als G40-gemeenten goede praktijken met elkaar kunnen uitwisselen?",
    ),
    "omgevingswet-uitstel-kosten": (
        "De invoering van de Omgevingswet is weer uitgesteld. Worden de extra invoeringskosten voor gemeenten "
        "vergoed?",
        "Wie betaalt de meerkosten van het nieuwe uitstel van de Omgevingswet? Wij hebben al miljoenen "
        "geïnvesteerd.",
    ),
    "internationaal-talent": (
        "What can the G40 cities learn from each other about attracting international talent?",
        "How do mid-sized cities like ours attract and keep international knowledge workers?",
    ),
}

SINGLES: tuple[str, ...] = (
    # financiële verhoudingen: same topics, other questions
    "Wat heeft de bevriezing van de opschalingskorting in 2020 en 2021 jullie gemeente concreet opgeleverd?",
    "Waarom is de opschalingskorting destijds ingevoerd terwijl gemeenten helemaal niet zijn opgeschaald?",
    "Als de opschalingskorting verdwijnt, waar moet dat geld dan volgens de G40 naartoe: jeugdzorg of "
    "lastenverlichting voor inwoners?",
    "Wat vindt u van het ROB-advies over de financiële verhoudingen tussen rijk en gemeenten?",
    "Zijn specifieke uitkeringen voor de G40 niet beter dan geld via het gemeentefonds?",
    "Kan het gemeentefonds niet gewoon meegroeien met de uitgaven in het sociaal domein?",
    "Hoeveel G40-gemeenten hebben hun OZB voor 2021 verhoogd om de tekorten op te vangen?",
    "Wanneer worden de uitkomsten van de herijking van het gemeentefonds definitief bekendgemaakt?",
    "Hoe leggen jullie aan de gemeenteraad uit dat er bezuinigd moet worden terwijl het rijk miljarden uitgeeft "
    "aan corona?",
    "Zetten jullie je algemene reserve in om de tekorten van 2021 te dekken?",
    "Bij ons in de raad is de discussie nu of we de algemene reserve verder mogen afromen. De provincie als "
    "toezichthouder kijkt mee en wil een sluitende meerjarenbegroting zien, maar met alle onzekerheid over de "
    "jeugdzorg en corona is dat bijna niet te doen. Hoe kijken andere G40-steden naar het toezicht van de provincie "
    "op hun begroting?",
    "Is het verstandig om als G40 een eigen doorrekening te laten maken van alle verkiezingsprogramma's op de "
    "financiën van gemeenten?",
    "De provincie heeft grote reserves. Kunnen provincies niet meer bijdragen aan stedelijke opgaven?",
    # jeugdzorg
    "Hoe gaan jullie om met de wachtlijsten in de jeugd-ggz?",
    "Werkt de praktijkondersteuner jeugd bij de huisarts bij jullie ook om verwijzingen naar de jeugdzorg te "
    "verminderen?",
    "Wat doen we met jeugdzorgaanbieders die forse winsten maken op gemeentelijk geld?",
    "Hoe betrekken jullie jongeren zelf bij het verbeteren van de jeugdzorg in de stad?",
    "Wat is jullie ervaring met het inzetten van wijkteams voor lichte jeugdhulp?",
    "Hoe voorkomen we dat een grote jeugdzorgaanbieder failliet gaat en kinderen zonder zorg komen te zitten?",
    "Zijn er G40-steden die de jeugdzorg weer zelf in dienst hebben genomen in plaats van in te kopen?",
    "Wie betaalt de jeugdzorg voor kinderen in een instelling buiten onze gemeente, het woonplaatsbeginsel blijft "
    "lastig?",
    # wonen
    "Wat kunnen gemeenten doen tegen beleggers die goedkope koopwoningen opkopen en duur verhuren?",
    "Hoe zorgen we voor voldoende woningen voor statushouders zonder dat andere woningzoekenden langer moeten "
    "wachten?",
    "Is flexwonen een goede tijdelijke oplossing voor spoedzoekers?",
    "Hoe gaan jullie om met de stikstofregels die woningbouwprojecten vertragen?",
    "Welke rol zien jullie voor de provincie bij het aanwijzen van nieuwe bouwlocaties?",
    "Hoe combineren we verdichting in de binnenstad met voldoende groen en speelruimte?",
    "Hebben jullie ervaring met een zelfbewoningsplicht bij nieuwbouw?",
    "Hoeveel woningen willen de G40-steden samen de komende tien jaar bouwen?",
    "Wat doen jullie tegen huisjesmelkers en slechte kamerverhuur?",
    "Zijn woondeals met het rijk de moeite waard voor een stad van onze omvang?",
    # energie en klimaat
    "Hoe betrekken jullie inwoners bij de keuze voor zoekgebieden voor windturbines?",
    "Is de deadline van 1 juli 2021 voor de RES 1.0 haalbaar voor jullie regio?",
    "Wat is jullie ervaring met energiecoöperaties van bewoners?",
    "Zijn er G40-steden die al een hele wijk van het gas af hebben?",
    "Hoe krijgen jullie zonnepanelen op de daken van bedrijventerreinen?",
    "Moet het rijk een landelijke isolatieaanpak voor huurwoningen financieren?",
    "Hoe financieren jullie klimaatadaptatie, zoals de aanpak van wateroverlast bij hoosbuien?",
    "Welke rol spelen de netbeheerders in jullie transitievisie warmte?",
    "Hoe gaan jullie om met weerstand in de raad tegen zonneweides op landbouwgrond?",
    "Is waterstof een realistisch alternatief voor aardgas in de bestaande bouw?",
    # regio
    "Moeten we niet naar één vaste regio-indeling voor alle samenwerking, in plaats van tientallen verschillende "
    "regio's?",
    "Welke rol hebben provincies nog als gemeenten steeds meer regionaal samenwerken?",
    "Hoe zorgen we dat kleine buurgemeenten zich niet overvallen voelen door de centrumstad?",
    "Is herindeling een taboe als we het over het versterken van de regio hebben?",
    "Wat is de rol van de G40-stad als motor van de regionale economie?",
    "Kunnen we als G40 leren van de regionale samenwerking in Brainport Eindhoven?",
    "Hoe maken jullie de regionale arbeidsmarktregio's en de zorgregio's beter op elkaar passend?",
    # één overheid
    "Wat kunnen we leren van de samenwerking tussen rijk en gemeenten tijdens de coronacrisis?",
    "Heeft de toeslagenaffaire het vertrouwen in de hele overheid beschadigd, ook in gemeenten?",
    "Moet de VNG niet veel harder onderhandelen namens gemeenten?",
    "Wat is het verschil tussen de lobby van de G40 en die van de VNG?",
    "Hoe kunnen rijksambtenaren vaker meelopen in de uitvoering bij gemeenten om te zien wat beleid betekent?",
    "Werkt het Interbestuurlijk Programma nog, of is het een papieren tijger geworden?",
    "Hoe houden we inwoners vast die het vertrouwen in de politiek kwijt zijn?",
    "Zou een minister voor Binnenlandse Zaken met meer macht over andere departementen helpen?",
    # verkiezingen en formatie
    "Wat als de formatie maanden duurt en er een demissionair kabinet zit: liggen onze dossiers dan stil?",
    "Verwacht u dat de gemeenteraadsverkiezingen van 2022 vooral over de tekorten zullen gaan?",
    "Welke partij heeft volgens jullie het beste programma voor de middelgrote steden?",
    "Mogen raadsleden en wethouders zelf campagne voeren voor de Tweede Kamer als ze op een lijst staan?",
    "Hoe gaan jullie om met desinformatie rond de verkiezingen op sociale media?",
    "Kunnen we de verkiezingsdebatten dit keer ook naar de G40-steden halen in plaats van alleen Den Haag?",
    # digitalisering
    "Moet er een algoritmeregister komen voor gemeenten, zodat inwoners kunnen zien hoe besluiten tot stand "
    "komen?",
    "Hoe gaan jullie om met de Wet open overheid en het archiveren van appjes van bestuurders?",
    "Wat zijn jullie ervaringen met datagedreven werken in het sociaal domein?",
    "Hoe gebruiken jullie data over drukte in de binnenstad zonder de privacy van bezoekers te schenden?",
    "Werkt digitaal raadsvergaderen goed genoeg om het na corona door te zetten?",
    "Hoe vinden jullie genoeg ICT-personeel nu de markt zo krap is?",
    "Is Common Ground een realistisch alternatief voor de grote softwareleveranciers?",
    "Kunnen we inwoners hun eigen gegevens laten inzien en corrigeren via MijnOverheid?",
    "Is glasvezel in het buitengebied van onze regio een taak voor de gemeente?",
    # corona en economie
    "Hoe staat het met de steun voor cultuur- en sportverenigingen in jullie stad?",
    "Gebruiken jullie de coronacrisis als kans om de binnenstad anders in te richten, met meer wonen boven "
    "winkels?",
    "Hoeveel ondernemers in jullie stad maken gebruik van de Tozo?",
    "Wat doen jullie om de horeca te helpen met terrasuitbreiding?",
    "Hoe houden we de evenementensector overeind in 2021?",
    "Hoe organiseren jullie de vaccinatielocaties samen met de GGD?",
    "Wat doen jullie aan eenzaamheid onder ouderen tijdens de lockdown?",
    # sociaal domein
    "Hoe zorgen we voor genoeg ondersteuning van mantelzorgers?",
    "Werken jullie met basisbanen voor mensen in de bijstand?",
    "Hoe gaan jullie om met de doordecentralisatie van beschermd wonen in 2022?",
    "Wat betekent het nieuwe verdeelmodel voor beschermd wonen voor de centrumgemeenten?",
    "Hoe voorkomen jullie dat mensen door de stapeling van eigen bijdragen zorg mijden?",
    "Hoe kijken jullie naar het experiment met een basisinkomen zoals in Utrecht en Groningen?",
    "Wat doen jullie met de inburgering nu de nieuwe wet is uitgesteld tot 2022?",
    "Hoe bereiken we de werkende armen die nergens aankloppen voor hulp?",
    "Zijn er G40-steden die de schulden van inwoners opkopen om ze een nieuwe start te geven?",
    # veiligheid
    "Mogen burgemeesters straks vaker woningen sluiten bij drugsvondsten?",
    "Hoe staat het met het aantal wijkagenten in jullie stad? Bij ons zijn het er veel te weinig.",
    "Hoe beschermen we burgemeesters en wethouders tegen bedreigingen?",
    "Hoe gaan jullie om met jongeren die overlast geven nu alles dicht is?",
    "Werkt cameratoezicht in de binnenstad echt tegen geweld in het uitgaansgebied?",
    # mobiliteit en onderwijs
    "Komt er meer geld voor fietsinfrastructuur en snelfietsroutes tussen stad en regio?",
    "Hoe kijken jullie naar betaald parkeren als inkomstenbron nu het centrum leegloopt?",
    "Moet het rijk meebetalen aan de vervanging van onze bruggen en kademuren?",
    "Wat doen jullie aan het terugdringen van voortijdig schoolverlaten?",
    "Een vraag vanuit de praktijk: onze wijkteams merken dat gezinnen met problemen op meerdere terreinen (schulden, "
    "een kind in de jeugdzorg, werkloosheid, slechte huisvesting) van loket naar loket worden gestuurd. Elke "
    "regeling heeft eigen voorwaarden en eigen budgetten. Wat vraagt de G40 van het nieuwe kabinet om echt één "
    "integraal plan per gezin mogelijk te maken, met ontschotte budgetten?",
    "Hoe houden we hbo-studenten na hun studie in onze stad?",
    "Wij zien dat jonge gezinnen uit de stad vertrekken naar de randgemeenten omdat er voor hen geen passende "
    "woning is, terwijl ouderen in een te grote eengezinswoning blijven wonen omdat er niets geschikts is om naar "
    "door te stromen. Hebben andere steden een goede aanpak om de doorstroming van ouderen op gang te krijgen?",
    "Krijgen scholen genoeg geld voor ventilatie nu corona door de lucht gaat?",
    # het G40-netwerk
    "Wat is het belangrijkste dat de G40 het afgelopen jaar heeft bereikt?",
    "Hoe kunnen raadsleden meer betrokken worden bij het G40-netwerk?",
    "Komt er in 2021 weer een fysieke netwerkdag?",
    "Wie is eigenlijk de nieuwe voorzitter van de G40 en wat zijn zijn prioriteiten?",
    "Kunnen de presentaties van vandaag na afloop gedeeld worden?",
    "Is het mogelijk om na de lunch nog in kleine groepjes door te praten over wonen?",
    "Omgevingswet: het DSO werkt nog steeds niet goed. Is invoering in 2022 wel haalbaar?",
    "Hoe nemen jullie inwoners mee in het maken van de omgevingsvisie?",
    # English
    "Is there any data on how the G40 cities compare on house prices?",
    "Can the slides of this session be shared in English as well?",
    "How do Dutch mid-sized cities work with universities on the local economy?",
)


# Held out: written after the thesaurus and the weights in app/questions/similar.py were frozen, and never used to
# tune them, so its figures say how the method does on questions it was not fitted to.
HELDOUT_GROUPS: dict[str, tuple[str, ...]] = {
    "opschalingskorting-terug": (
        "Blijft de opschalingskorting na de bevriezing ook echt weg, of komt hij in 2022 gewoon terug?",
        "Is de bevriezing van de opschalingskorting tijdelijk? Wij willen dat die korting voorgoed verdwijnt.",
    ),
    "lager-accres-opvangen": (
        "Het accres valt in de septembercirculaire flink lager uit. Hoe vangen jullie die tegenvaller op?",
        "Met de lagere uitkering uit het gemeentefonds in de laatste circulaire moeten wij opnieuw bezuinigen. Hoe "
        "gaan andere steden daarmee om?",
    ),
    "winst-jeugdzorgaanbieders": (
        "Moeten er regels komen tegen de hoge winsten van sommige jeugdzorgaanbieders?",
        "Sommige zorgcowboys verdienen goud aan de jeugdhulp. Kan het rijk niet gewoon een winstverbod invoeren?",
        "Is een winstplafond voor aanbieders van jeugdhulp iets waar de G40 voor gaat lobbyen?",
    ),
    "incidentele-jeugdgelden": (
        "De 300 miljoen extra voor jeugd in 2021 is weer eenmalig. Hoe moeten we daarmee meerjarig plannen?",
        "Wat moeten we met die incidentele jeugdgelden van het rijk, als we niet weten of het geld er in 2022 nog "
        "is?",
    ),
    "sneller-bouwen": (
        "Hoe versnellen we de woningbouw als procedures en bezwaren alles jaren vertragen?",
        "Bouwprojecten lopen bij ons vast op bezwaarprocedures. Moet het rijk de regels aanpassen zodat we sneller "
        "kunnen bouwen?",
        "Kan de wet zo veranderen dat er sneller gebouwd kan worden? Nu duurt het van plan tot oplevering soms tien "
        "jaar.",
    ),
    "sociale-huur-randgemeenten": (
        "Hoe krijgen we meer sociale huurwoningen in gemeenten die nu bijna niets bouwen, zodat niet alles op de "
        "grote stad afkomt?",
        "De randgemeenten bouwen nauwelijks sociale huur en verwijzen hun woningzoekenden naar ons. Kan er een "
        "verplicht percentage per gemeente komen?",
    ),
    "taakstelling-statushouders": (
        "De taakstelling voor het huisvesten van statushouders wordt steeds lastiger. Kan die omlaag of beter "
        "gespreid worden?",
        "Kan het rijk de taakstelling voor vergunninghouders aanpassen nu wij door de woningnood de aantallen niet "
        "halen?",
    ),
    "draagvlak-windmolens": (
        "Hoe krijgen we draagvlak bij inwoners voor windmolens in onze gemeente?",
        "Inwoners verzetten zich tegen windturbines dichtbij huis. Hoe zorgen jullie voor acceptatie?",
        "Wat werkt om de weerstand tegen windparken bij bewoners te verkleinen, bijvoorbeeld financiële "
        "participatie?",
    ),
    "isolatie-particulieren": (
        "Komt er een landelijk fonds waarmee huiseigenaren hun woning kunnen isoleren?",
        "Veel eigenaren van oudere huizen kunnen het verduurzamen niet betalen. Komt er vanuit het rijk subsidie of "
        "een goedkope lening voor isolatie?",
    ),
    "laadpalen": (
        "Wie betaalt de uitrol van laadpalen voor elektrische auto's in de wijken?",
        "Moeten gemeenten zelf de laadinfrastructuur voor elektrisch rijden financieren, of draagt het rijk bij?",
    ),
    "provincie-als-partner": (
        "Hoe kan de provincie de G40-steden beter ondersteunen bij de regionale opgaven?",
        "Wat verwachten jullie van de provincie als partner bij de grote opgaven in de regio?",
    ),
    "een-loket": (
        "Kunnen rijk en gemeenten niet één loket maken voor inwoners, zodat ze niet meer van het kastje naar de "
        "muur gaan?",
        "Inwoners snappen niet welke overheid waarvoor is. Komt er één voordeur voor alle vragen aan de overheid?",
        "Waarom moeten burgers nog steeds langs UWV, Belastingdienst en gemeente voor één probleem? Kan dat niet via "
        "één aanspreekpunt?",
    ),
    "schulden-toeslagenouders": (
        "Worden de schulden van gedupeerde ouders bij gemeenten ook kwijtgescholden, en wie betaalt dat?",
        "Als gemeenten de gemeentelijke schulden van toeslagenouders moeten kwijtschelden, krijgen we dat dan terug "
        "van het rijk?",
    ),
    "kamerleden-uit-de-regio": (
        "Hoe zorgen we dat er na maart ook Kamerleden uit de middelgrote steden in Den Haag zitten?",
        "Er zitten bijna alleen Kamerleden uit de Randstad in de Tweede Kamer. Hoe krijgen we meer "
        "vertegenwoordiging van de G40-steden?",
    ),
    "raadsleden-werkdruk": (
        "Raadsleden zijn overbelast, zeker nu alles digitaal gaat. Moet hun vergoeding of ondersteuning omhoog?",
        "Het raadswerk is bijna een fulltime baan geworden. Krijgen raadsleden van het nieuwe kabinet meer "
        "ondersteuning?",
    ),
    "gegevens-delen-privacy": (
        "Waarom mogen gemeenten zo weinig gegevens met elkaar delen terwijl dat nodig is om inwoners goed te helpen?",
        "De privacyregels maken het lastig om informatie tussen schulden, zorg en werk uit te wisselen. Kan de wet "
        "daar ruimte voor geven?",
        "Moet de AVG voor gemeenten anders, zodat we data kunnen koppelen om problemen achter de voordeur eerder te "
        "zien?",
    ),
    "digitaal-vergaderen-permanent": (
        "Blijven digitale raadsvergaderingen na de crisis wettelijk mogelijk?",
        "De tijdelijke wet voor digitaal vergaderen loopt af. Pleit de G40 voor een permanente regeling?",
    ),
    "horeca-steun": (
        "Krijgen horecaondernemers in onze binnensteden nog extra steun als de lockdown langer duurt?",
        "Hoe helpen we de horeca de winter door, nu de terrassen dicht zijn en de rijkssteun niet alles dekt?",
    ),
    "kinderarmoede": (
        "Het aantal kinderen dat in armoede opgroeit neemt toe. Wat kan de G40 samen met het kabinet doen?",
        "Kinderarmoede stijgt in onze stad. Komt er een landelijk plan om dit te stoppen?",
        "What is being done about child poverty in the G40 cities?",
    ),
    "ouderen-langer-thuis": (
        "Ouderen wonen steeds langer thuis, maar de zorg en de woningen zijn daar niet op ingericht. Hoe pakken "
        "jullie dat aan?",
        "Hoe zorgen we voor passende woonvormen en zorg nu ouderen langer zelfstandig blijven wonen?",
    ),
    "bedreiging-bestuurders": (
        "Bestuurders en raadsleden worden steeds vaker bedreigd. Wat doen jullie om hen te beschermen?",
        "Hoe gaan jullie om met intimidatie van wethouders en raadsleden, online en op straat?",
    ),
    "kansengelijkheid-onderwijs": (
        "Hoe zorgen we dat kinderen in achterstandswijken dezelfde kansen krijgen in het onderwijs?",
        "Kansenongelijkheid in het onderwijs groeit door corona. Wat doen de G40-steden om achterstanden in te "
        "halen?",
    ),
    "busvervoer": (
        "Vervoerders schrappen buslijnen omdat de reizigers wegblijven. Hoe houden we het ov in de wijken overeind?",
        "Door corona rijden er minder bussen. Hoe voorkomen we dat wijken en dorpen hun openbaar vervoer verliezen?",
    ),
    "gezamenlijke-lobbyist": (
        "Kunnen de G40-gemeenten niet samen één lobbyist in Den Haag betalen?",
        "Zou het helpen als de G40 een gezamenlijk lobbybureau in Den Haag opzet?",
    ),
    "hitte-en-regen": (
        "How are the G40 cities preparing for heavier rainfall and heat stress?",
        "Hoe bereiden de G40-steden zich voor op hittegolven en extreme regenval?",
    ),
    "sportclubs-zwembaden": (
        "Veel zwembaden en sportverenigingen staan door corona financieel aan de grond. Komt er extra steun?",
        "Hoe houden we sportclubs en zwembaden overeind nu de inkomsten door de coronamaatregelen zijn "
        "weggevallen?",
    ),
}

HELDOUT_SINGLES: tuple[str, ...] = (
    "Hoe hoog is de opschalingskorting voor een stad van 100.000 inwoners eigenlijk per jaar?",
    "Hoe leggen jullie de bezuinigingen uit aan inwoners die vooral zien dat er voorzieningen verdwijnen?",
    "Welke G40-stad heeft de laagste woonlasten, en hoe doen ze dat?",
    "Moet de jeugdzorg weer terug naar het rijk of naar de provincie?",
    "Hoe werkt de samenwerking met huisartsen in jullie jeugdteams in de praktijk?",
    "Hoe houden jullie de pleegzorg overeind nu er te weinig pleeggezinnen zijn?",
    "Hoeveel woningen zijn er in 2020 in jullie stad opgeleverd, en haalden jullie het doel?",
    "Werkt een opkoopbescherming echt in de praktijk of omzeilen beleggers die makkelijk?",
    "Hoe gaan jullie om met arbeidsmigranten en hun huisvesting in de stad?",
    "Wat doen jullie met lege kantoren: ombouwen naar woningen of laten staan?",
    "Zijn tiny houses een serieuze oplossing voor jongeren die geen woning vinden?",
    "Hoe ver zijn jullie met de transitievisie warmte, en wat was het lastigst?",
    "Moet er een landelijk verbod komen op nieuwe gasaansluitingen in de bestaande bouw?",
    "Wat kost de energietransitie een gemiddeld huishouden in jullie stad per maand?",
    "Hoe houden jullie de samenwerking in de veiligheidsregio werkbaar tijdens deze crisis?",
    "Is een regionale belasting een goed idee om regionale voorzieningen te betalen?",
    "Werkt een Regio Deal voor jullie beter dan een specifieke uitkering van een ministerie?",
    "Wat vinden jullie van het idee om de provincies helemaal op te heffen?",
    "Hoe vaak spreken jullie als wethouder eigenlijk rechtstreeks met een minister?",
    "Hoe zorgen we dat rijksbeleid rekening houdt met de verschillen tussen regio's?",
    "Welke onderwerpen moet het nieuwe kabinet volgens jullie in het eerste jaar regelen?",
    "Mag je als gemeente inwoners oproepen om te gaan stemmen, of is dat al te politiek?",
    "Wat doet de G40 op de dag na de verkiezingen van 17 maart?",
    "Hoe gaan jullie om met nepnieuws over corona en vaccinaties in jullie gemeente?",
    "Hoe regelen jullie de digitale toegankelijkheid van de gemeentelijke website voor mensen met een beperking?",
    "Gebruiken jullie al chatbots in de dienstverlening aan inwoners?",
    "Wat doen jullie tegen de digitale kloof bij schoolkinderen zonder laptop thuis?",
    "Hoe maken jullie medewerkers bewust van phishing en andere digitale risico's?",
    "Welke lessen trekken jullie uit de eerste coronagolf voor jullie crisisorganisatie?",
    "Zijn er al plannen voor het herstel van de binnenstad na corona, met geld van het rijk?",
    "Wat doen jullie om laaggeletterdheid onder volwassenen te verminderen?",
    "Hoe helpen jullie mensen met een uitkering duurzaam aan het werk?",
    "Wat vinden jullie van een verplichte tegenprestatie in de bijstand?",
    "Hoe organiseren jullie schuldhulp voor zelfstandigen die door corona in de problemen komen?",
    "Hoe pakken jullie de eenzaamheid onder jongeren aan nu ze niet naar school kunnen?",
    "Werkt de inzet van buurtsportcoaches echt, of is het vooral symboolbeleid?",
    "Moet er na deze jaarwisseling een landelijk vuurwerkverbod komen?",
    "Hoe gaan jullie om met de drugsoverlast rond coffeeshops in de binnenstad?",
    "Hoeveel boa's hebben jullie op straat en zijn dat er genoeg?",
    "Hoe gaan jullie om met de stijgende kosten van het leerlingenvervoer?",
    "Hoe trekken jullie nieuwe bedrijven en werkgelegenheid naar de stad?",
    "Hoe houden we de ziekenhuiszorg in middelgrote steden overeind als afdelingen naar de grote stad verhuizen?",
    "Krijgt de G40 een eigen plek aan tafel bij het Nationaal Groeifonds?",
    "Wordt de opname van dit gesprek later met alle deelnemers gedeeld?",
    "Wij merken in onze stad dat de grote opgaven (wonen, energie, zorg) allemaal op dezelfde plekken landen: in "
    "de wijken waar mensen met de laagste inkomens wonen. Elk ministerie komt met een eigen programma en eigen "
    "regels. Hoe zorgen we dat het nieuwe kabinet per wijk één samenhangende aanpak steunt, met één budget en "
    "voor tien jaar?",
    "Onze ervaring met de woondeal is wisselend: er zit veel overleg in, maar weinig geld, en de afspraken gaan "
    "vooral over aantallen. Zouden de G40-steden niet samen moeten optrekken voor woondeals die ook over "
    "betaalbaarheid en leefbaarheid gaan?",
    "Could you repeat the name of the report that was just mentioned in the debate?",
    "Is the G40 also connected to European city networks like Eurocities or the Urban Agenda?",
)


@dataclass(frozen=True, slots=True)
class Question:
    id: int
    text: str
    group: str | None  # the duplicate group, None for a question without a labelled duplicate


def questions(heldout: bool = False) -> list[Question]:
    """All questions of the development set (or of the held-out set) in arrival order (a fixed shuffle), numbered
    from 1 in that order."""
    groups, singles = (HELDOUT_GROUPS, HELDOUT_SINGLES) if heldout else (GROUPS, SINGLES)
    pool = [(text, group) for group, texts in groups.items() for text in texts] + [(t, None) for t in singles]
    random.Random(ARRIVAL_SEED).shuffle(pool)
    return [Question(id=i, text=text, group=group) for i, (text, group) in enumerate(pool, start=1)]


def labelled_pairs(qs: Iterable[Question]) -> set[tuple[int, int]]:
    """Every (earlier, later) pair of questions in the same duplicate group."""
    seen: dict[str, list[int]] = {}
    pairs = set()
    for q in qs:
        if q.group is not None:
            pairs.update((earlier, q.id) for earlier in seen.get(q.group, ()))
            seen.setdefault(q.group, []).append(q.id)
    return pairs


@dataclass(frozen=True, slots=True)
class Measurement:
    threshold: float
    shown: int  # suggestions shown over the whole debate (top `limit` above the threshold, earlier questions only)
    true_positives: int
    labelled: int  # (earlier, later) pairs within a group
    found: int  # labelled pairs whose later question showed the earlier one

    @property
    def precision(self) -> float:
        return self.true_positives / self.shown if self.shown else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.labelled


def measure(thresholds: Iterable[float], make_index: Callable[[], object], limit: int = 3,
            heldout: bool = False) -> list[Measurement]:
    """Feed the corpus in arrival order into a fresh index; after each question, record what "lijkt op" would
    show for it among the earlier questions. Computed once at the lowest threshold and cut at each threshold, as a
    suggestion's score does not depend on the threshold (only which suggestions survive it)."""
    thresholds = sorted(thresholds)
    qs = questions(heldout)
    group = {q.id: q.group for q in qs}
    pairs = labelled_pairs(qs)
    index = make_index()
    suggestions: list[tuple[int, int, float]] = []  # (later, earlier, score)
    for q in qs:
        index.add(q.id, q.text)
        suggestions += [(q.id, e, s) for e, s in index.similar(q.id, limit=limit, threshold=thresholds[0])]
    out = []
    for t in thresholds:
        shown = [(later, earlier) for later, earlier, s in suggestions if s >= t]
        tp = [(e, later) for later, e in shown if group[later] is not None and group[later] == group[e]]
        out.append(Measurement(t, len(shown), len(tp), len(pairs), len(set(tp) & pairs)))
    return out
