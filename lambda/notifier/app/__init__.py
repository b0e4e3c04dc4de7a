"""The composition root: settings read from the environment once (settings), the adapters built and handed to the
use cases (compose), and `wait_for` for Python callers (waiting). The entry points (handlers, cli) start here."""
