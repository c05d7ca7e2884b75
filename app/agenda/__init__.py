"""The agenda of "Blik op 2021": the themes this room wants on the agenda of the election year, picked (at most
three each) and proposed by the participants during the closing part, and ranked live."""
