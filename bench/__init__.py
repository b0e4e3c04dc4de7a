"""`make bench`: what a poll costs, against a naive poller and the throttle bound."""
