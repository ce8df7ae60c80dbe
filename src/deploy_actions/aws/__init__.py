"""The AWS boundary: one module per service, thin calls, botocore errors translated once.

Each function takes a boto3 client and returns AWS's answer (plain dicts); an AWS error code the
user can fix becomes an `InputError` naming the input, anything else an `AwsCallFailed`. Domain
logic (what a deployment's state means, when to stop) lives in the work packages above this one.
"""
