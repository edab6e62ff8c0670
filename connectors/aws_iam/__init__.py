"""AWS IAM / STS containment actions (boto3, run in a worker thread)."""
