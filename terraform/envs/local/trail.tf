# The account's CloudTrail trail. AWS delivers "AWS API Call via CloudTrail" events to EventBridge
# only while a trail with logging on records the account's management events, so the revocation
# feed (terraform/stack/revocation.tf) hears administrators' actions only with one. Real accounts
# have it already, usually an organization trail (docs/deploying.md); the emulator starts empty, so
# the local environment creates a minimal one, and the emulator emits the events only while it logs.
resource "aws_s3_bucket" "trail" {
  # checkov:skip=CKV_AWS_18:Local emulator only: the stand-in trail's bucket is never read; access logging would need a second bucket for nothing.
  # checkov:skip=CKV_AWS_144:Local emulator only: nothing to replicate, the emulator's state is thrown away.
  # checkov:skip=CKV_AWS_145:Local emulator only: SSE-S3 below; a KMS key policy for CloudTrail adds nothing to a throwaway emulator.
  # checkov:skip=CKV2_AWS_61:Local emulator only: the bucket lives as long as the emulator.
  # checkov:skip=CKV2_AWS_62:Local emulator only: no consumer for object events.
  bucket        = "fga-local-account-trail"
  force_destroy = true
}

resource "aws_s3_bucket_versioning" "trail" {
  bucket = aws_s3_bucket.trail.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "trail" {
  bucket = aws_s3_bucket.trail.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "trail" {
  bucket                  = aws_s3_bucket.trail.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_cloudtrail" "account" {
  # checkov:skip=CKV_AWS_35:Local emulator only: stands in for the account's trail; log files are never written.
  # checkov:skip=CKV_AWS_252:Local emulator only: no one subscribes to log-file notifications.
  # checkov:skip=CKV2_AWS_10:Local emulator only: no CloudWatch Logs delivery to analyse.
  name                          = "fga-local-account-trail"
  s3_bucket_name                = aws_s3_bucket.trail.id
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_log_file_validation    = true
  enable_logging                = true

  depends_on = [aws_s3_bucket_public_access_block.trail]
}
