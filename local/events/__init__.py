"""EventBridge in the emulator: rules deliver to Lambda targets, and CloudTrail feeds the default bus.

moto stores rules and targets but delivers to a few target kinds only (no Lambda) and ignores a
rule's state. `patches.py` makes an ENABLED rule deliver to its Lambda targets the way EventBridge
does: asynchronously, only when the function's resource policy lets `events.amazonaws.com` invoke
it for that rule, through the local Lambda runtime (`delivery.py`). `cloudtrail.py` turns the
Cognito admin calls the product listens to into the "AWS API Call via CloudTrail" events AWS
delivers to the default bus, and only while a trail logs the account's management events.
"""
