"""The use cases: what the notifier does, over the ports (never an adapter): the poll (poll/), tracking what is
named or called (tracking), finding what to track (discovery), and waiting until it settles (waiting)."""
