"""12345 hotline and city governance room: tickets from every channel, classification,
dispatch, knowledge, hotspots, Open311, grid events and warnings."""
