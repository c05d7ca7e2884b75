"""Events: the network day, its programme and phases, municipalities, participants, joining and role links."""
