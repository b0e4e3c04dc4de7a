"""The adapters: below the composition root (app/, and the entry points that compose), the only modules that talk
to AWS (boto3, botocore). The table (store, its item layout in items), Personalize (personalize) and SNS,
EventBridge and Step Functions (publisher) implement the ports of notifier.ports; accounts gives them a session per
account, and regions reads botocore's region data for the CLI's checks. They translate AWS's errors into the
ports' errors and decide no policy."""
