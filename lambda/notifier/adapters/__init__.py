"""The adapters: the only modules that talk to AWS (boto3, botocore), each implementing a port of notifier.ports:
the table (store, its item layout in items), Personalize (personalize), SNS and EventBridge (publisher), other
accounts (accounts), and botocore's region data (regions). They translate AWS's errors into the ports' errors and
decide no policy."""
