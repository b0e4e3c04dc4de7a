"""One poll cycle (poller, the coordinator) and its parts, each read alone: what the cycle shares (cycle), what it
is told and reports (report), how it lists (listing), models' lifecycle (training), delivery of what is owed
(delivery), Step Functions' task answers (answers), and the accounts it cannot read (account_notices)."""
