"""DynamoDB: the moto patch that makes conditional writes atomic, as on AWS."""
