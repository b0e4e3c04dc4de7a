"""What a notification says, per subscriber protocol and per kind of notice. Pure: the same input always renders
the same text."""
