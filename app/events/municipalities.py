"""The member cities of the G40 stedennetwerk (the list a participant chooses from when joining)."""

G40_CITIES = (
    "Alkmaar", "Almelo", "Almere", "Alphen aan den Rijn", "Amersfoort", "Apeldoorn", "Arnhem", "Assen",
    "Bergen op Zoom", "Breda", "Delft", "Deventer", "Dordrecht", "Ede", "Emmen", "Enschede", "Gouda",
    "Groningen", "Haarlem", "Haarlemmermeer", "Heerlen", "Helmond", "Hengelo", "'s-Hertogenbosch",
    "Hilversum", "Hoorn", "Leeuwarden", "Leiden", "Lelystad", "Maastricht", "Nijmegen", "Oss",
    "Purmerend", "Roosendaal", "Schiedam", "Sittard-Geleen", "Tilburg", "Venlo", "Zaanstad",
    "Zoetermeer", "Zwolle",
)
