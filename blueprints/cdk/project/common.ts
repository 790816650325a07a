// Building blocks every stack shares: hardened buckets and retention values.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { EnvironmentConfig } from '../config/environments';

/**
 * An S3 bucket with every control of SEC-03/SEC-04: public access blocked,
 * encryption (KMS with a bucket key when a key is given), versioning, TLS only,
 * bucket-owner-enforced ownership, access logging (unless it is the log
 * bucket itself), and a lifecycle for old versions and multipart uploads.
 * Buckets have no physical name (GEN-01) and are retained: they hold logs.
 */
export function hardenedBucket(
  scope: Construct,
  id: string,
  env: EnvironmentConfig,
  props: Pick<s3.BucketProps, 'encryption' | 'encryptionKey' | 'serverAccessLogsBucket' | 'serverAccessLogsPrefix'>,
): s3.Bucket {
  return new s3.Bucket(scope, id, {
    ...props,
    bucketKeyEnabled: props.encryption === s3.BucketEncryption.KMS ? true : undefined,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    versioned: true,
    objectOwnership: props.serverAccessLogsBucket
      ? s3.ObjectOwnership.BUCKET_OWNER_ENFORCED
      : s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
    removalPolicy: RemovalPolicy.RETAIN,
    lifecycleRules: [
      {
        id: 'OldVersionsAndUploads',
        abortIncompleteMultipartUploadAfter: Duration.days(7),
        noncurrentVersionTransitions: [
          { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(env.noncurrentTransitionDays) },
        ],
        noncurrentVersionExpiration: Duration.days(env.noncurrentExpirationDays),
      },
    ],
  });
}

/** The CloudWatch Logs retention enum value for a number of days. */
export function retention(days: number): logs.RetentionDays {
  const value = days as logs.RetentionDays;
  if (!Object.values(logs.RetentionDays).includes(value)) {
    throw new Error(`${days} is not a CloudWatch Logs retention period`);
  }
  return value;
}
