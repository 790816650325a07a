// Every cdk-nag acknowledgment and every checkov / cfn-lint skip of this app,
// in one place. Each entry names the construct it applies to (a fragment of
// the construct path, matched within each stack), the rule and the reason.
// docs/controls.md lists them all; add new ones here, never inline in stacks.
import { App, CfnElement, CfnResource, Stack, Stage, Validations } from 'aws-cdk-lib';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IConstruct } from 'constructs';
import { ENVIRONMENTS, Profile } from '../config/environments';
import { stageId } from './stage';

export type Checker = 'nag' | 'checkov' | 'cfn-lint';

export interface Acknowledgment {
  readonly checker: Checker;
  /**
   * A regular expression over `<stack id>/<path in the stack>` of the
   * construct this entry applies to (e.g. `^Network/FlowLog/IAMRole$`).
   */
  readonly target: string;
  /**
   * The cdk-nag finding id, checkov check id or cfn-lint rule id. `{path}`
   * stands for the logical id of the resource at that path in the same stack
   * (`$1`... are the target's capture groups), as cdk-nag writes it in finding ids.
   */
  readonly rule: string;
  readonly reason: string;
  /** Only in environments of this profile (a finding that is wanted there only). */
  readonly profile?: Profile;
}

function nag(target: string, rule: string, reason: string, profile?: Profile): Acknowledgment {
  return { checker: 'nag', target, rule, reason, profile };
}

function checkov(target: string, rule: string, reason: string, profile?: Profile): Acknowledgment {
  return { checker: 'checkov', target, rule, reason, profile };
}

function cfnLint(target: string, rule: string, reason: string, profile?: Profile): Acknowledgment {
  return { checker: 'cfn-lint', target, rule, reason, profile };
}

const IAM5 = 'AwsSolutions::AwsSolutions-IAM5';
const CR = 'Custom::VpcRestrictDefaultSGCustomResourceProvider';

// One entry per line, `kind('target', 'rule', 'reason'),` with single-quoted
// strings: stackwright reads these lines to list them in docs/controls.md.
export const ACKNOWLEDGMENTS: readonly Acknowledgment[] = [
  // CDK's own provider that empties the VPC's default security group (NET-06).
  nag('^Network/Custom::VpcRestrictDefaultSGCustomResourceProvider/Role$', 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', 'CDK-owned provider that empties the default security group (NET-06); the managed policy only lets it write its own logs'),
  checkov('^Network/Custom::VpcRestrictDefaultSGCustomResourceProvider/Handler$', 'CKV_AWS_115', 'CDK-owned one-shot provider run only by CloudFormation during deployment; concurrency is bounded by CloudFormation'),
  checkov('^Network/Custom::VpcRestrictDefaultSGCustomResourceProvider/Handler$', 'CKV_AWS_116', 'CDK-owned synchronous provider invoked by CloudFormation, which reports failures itself; a DLQ would never receive events'),
  checkov('^Network/Custom::VpcRestrictDefaultSGCustomResourceProvider/Handler$', 'CKV_AWS_117', 'CDK-owned provider calls only the EC2 API during deployment and needs no VPC access'),
  checkov('^Network/Custom::VpcRestrictDefaultSGCustomResourceProvider/Handler$', 'CKV_AWS_173', 'CDK-owned provider has no environment variables to encrypt'),
  // cfn-lint W3005 (a DependsOn that a GetAtt already implies) on resources CDK writes itself.
  cfnLint('^Network/Custom::VpcRestrictDefaultSGCustomResourceProvider/Handler$', 'W3005', 'CDK writes an explicit DependsOn on the provider role beside the GetAtt; harmless, and not ours to remove'),
  cfnLint('^Security/Trail/Resource$', 'W3005', 'the CloudTrail L2 construct adds a DependsOn on its log role beside the GetAtt; harmless'),
  cfnLint('^App/Function/Resource$', 'W3005', 'the Lambda L2 construct adds a DependsOn on its role policy beside the GetAtt on the role; harmless'),
  cfnLint('^Pipeline/Pipeline/Resource$', 'W3005', 'the CodePipeline L2 construct adds a DependsOn on its role beside the GetAtt; harmless'),
  // The access-logs buckets receive S3 server access logs; logging them into themselves would loop.
  nag('^(Security|Pipeline)/AccessLogsBucket/Resource$', 'AwsSolutions::AwsSolutions-S1', 'this is the access-log target bucket of its stack; it cannot log into itself'),
  checkov('^(Security|Pipeline)/AccessLogsBucket/Resource$', 'CKV_AWS_18', 'this is the access-log target bucket of its stack; it cannot log into itself'),
  // The pipeline's integration-test project reads the deployed stacks, VPC attributes and key rotation.
  nag('^Pipeline/IntegrationTestProject/Role/DefaultPolicy/Resource$', 'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/{{ project.name }}-*/*]', 'DescribeStacks on this project\'s stacks only; stack ids end in a generated suffix'),
  nag('^Pipeline/IntegrationTestProject/Role/DefaultPolicy/Resource$', 'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*]', 'GetKeyRotationStatus (read-only) on the environment keys, whose ids are generated in other stacks'),
  nag('^Pipeline/IntegrationTestProject/Role/DefaultPolicy/Resource$', 'AwsSolutions::AwsSolutions-IAM5[Resource::*]', 'ec2:DescribeVpcAttribute has no resource-level permissions'),
  // The application tier.
  checkov('^App/FunctionRole/DefaultPolicy/Resource$', 'CKV_AWS_111', 'ENI management for VPC access and X-Ray trace upload have no resource-level permissions; the same grants as the AWSLambdaVPCAccessExecutionRole managed policy'),
  nag('^App/InstanceRole/Resource$', 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]', 'the AWS-maintained Session Manager policy is how instances are managed without SSH (APP-01); AWS keeps it current'),
  nag('^App/AutoScalingGroup/ASG$', 'AwsSolutions::AwsSolutions-AS3', 'launch and terminate errors go to the alert topic (MON-04); routine scale-in/out events would only add noise to it'),
  nag('^App/FunctionRole/DefaultPolicy/Resource$', 'AwsSolutions::AwsSolutions-IAM5[Resource::*]', 'ENI management for VPC access and X-Ray trace upload have no resource-level permissions (statement VpcNetworkInterfacesAndTraces)'),
  // The database.
  nag('^Database/DbMonitoringRole/DefaultPolicy/Resource$', 'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:RDSOSMetrics:log-stream:*]', 'RDS enhanced monitoring writes one stream per instance into its RDSOSMetrics group; stream names are not known in advance'),
  nag('^Database/(DbInstance|DbCluster)$', 'AwsSolutions::AwsSolutions-RDS11', 'the engine default port is kept for client compatibility; only the application security group reaches it, on isolated subnets'),
  nag('^Database/DbInstance$', 'AwsSolutions::AwsSolutions-RDS3', 'ephemeral environments run single-AZ to save cost (answers: profile ephemeral); production-profile environments are Multi-AZ', 'ephemeral'),
  checkov('^Database/DbInstance$', 'CKV_AWS_157', 'ephemeral environments run single-AZ to save cost; production-profile environments are Multi-AZ', 'ephemeral'),
  nag('^Database/(DbInstance|DbCluster)$', 'AwsSolutions::AwsSolutions-RDS10', 'ephemeral environments are destroyed and redeployed (DEP-04); production-profile environments have deletion protection on', 'ephemeral'),
  // The pipeline: CodePipeline and CodeBuild L2 grants on the artifact bucket and key.
  nag('^Pipeline/(\\w+Project|Pipeline/Role|Pipeline/.*/CodePipelineActionRole)/(Role/)?DefaultPolicy/Resource$', 'AwsSolutions::AwsSolutions-IAM5[Resource::<{ArtifactBucket}.Arn>/*]', 'pipeline roles read and write artifacts: objects of the pipeline artifact bucket only'),
  nag('^Pipeline/(\\w+Project|Pipeline/Role|Pipeline/.*/CodePipelineActionRole)/(Role/)?DefaultPolicy/Resource$', 'AwsSolutions::AwsSolutions-IAM5[Action::s3:GetObject*]', 'CodePipeline artifact read grant (GetObject, GetObjectVersion...), scoped to the artifact bucket'),
  nag('^Pipeline/(\\w+Project|Pipeline/Role|Pipeline/.*/CodePipelineActionRole)/(Role/)?DefaultPolicy/Resource$', 'AwsSolutions::AwsSolutions-IAM5[Action::s3:GetBucket*]', 'CodePipeline artifact read grant, scoped to the artifact bucket'),
  nag('^Pipeline/(\\w+Project|Pipeline/Role|Pipeline/.*/CodePipelineActionRole)/(Role/)?DefaultPolicy/Resource$', 'AwsSolutions::AwsSolutions-IAM5[Action::s3:List*]', 'CodePipeline artifact read grant, scoped to the artifact bucket'),
  nag('^Pipeline/(\\w+Project|Pipeline/Role|Pipeline/.*/CodePipelineActionRole)/(Role/)?DefaultPolicy/Resource$', 'AwsSolutions::AwsSolutions-IAM5[Action::s3:DeleteObject*]', 'CodePipeline artifact write grant, scoped to the artifact bucket'),
  nag('^Pipeline/(\\w+Project|Pipeline/Role|Pipeline/.*/CodePipelineActionRole)/(Role/)?DefaultPolicy/Resource$', 'AwsSolutions::AwsSolutions-IAM5[Action::s3:Abort*]', 'CodePipeline artifact write grant (multipart uploads), scoped to the artifact bucket'),
  nag('^Pipeline/(\\w+Project|Pipeline/Role|Pipeline/.*/CodePipelineActionRole)/(Role/)?DefaultPolicy/Resource$', 'AwsSolutions::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', 'data keys of the pipeline key only (the resource is that key ARN)'),
  nag('^Pipeline/(\\w+Project|Pipeline/Role|Pipeline/.*/CodePipelineActionRole)/(Role/)?DefaultPolicy/Resource$', 'AwsSolutions::AwsSolutions-IAM5[Action::kms:ReEncrypt*]', 're-encryption with the pipeline key only (the resource is that key ARN)'),
  nag('^Pipeline/(\\w+)Project/Role/DefaultPolicy/Resource$', 'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/codebuild/<{$1Project}>:*]', 'CodeBuild default log-group grant, limited to this project; the project logs to its own encrypted group'),
  nag('^Pipeline/(\\w+)Project/Role/DefaultPolicy/Resource$', 'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:codebuild:<AWS::Region>:<AWS::AccountId>:report-group/<{$1Project}>-*]', 'CodeBuild test reports: report groups of this project only'),
];

function relativePath(construct: IConstruct): { stack: Stack; path: string; profile?: Profile } | undefined {
  const stack = construct.node.scopes.slice(0, -1).reverse().find((c): c is Stack => Stack.isStack(c));
  if (!stack) {
    return undefined;
  }
  const rest = construct.node.path.slice(stack.node.path.length + 1);
  const stage = construct.node.scopes.find((c) => Stage.isStage(c) && !(c instanceof App));
  const env = stage ? ENVIRONMENTS.find((e) => stageId(e) === stage.node.id) : undefined;
  return { stack, path: `${stack.node.id}/${rest}`, profile: env?.profile };
}

/** `{path}` placeholders of a rule → logical ids of the resources at those paths. */
function expandRule(rule: string, stack: Stack, groups: string[]): string {
  return rule.replace(/\{([^}]+)\}/g, (_, raw: string) => {
    const path = raw.replace(/\$(\d)/g, (_m: string, i: string) => groups[Number(i)] ?? '');
    const found = stack.node.tryFindChild(path.split('/')[0]);
    let node: IConstruct | undefined = found;
    for (const part of path.split('/').slice(1)) {
      node = node?.node.tryFindChild(part);
    }
    const element = node && (CfnElement.isCfnElement(node) ? node : node.node.defaultChild);
    if (!element || !CfnElement.isCfnElement(element)) {
      throw new Error(`acknowledgment ${rule}: no resource at ${stack.node.path}/${path}`);
    }
    return stack.resolve(stack.getLogicalId(element)) as string;
  });
}

function addCheckovSkip(resource: CfnResource, rule: string, reason: string): void {
  const existing = (resource.getMetadata('checkov') as { skip?: { id: string; comment: string }[] } | undefined) ?? {};
  const skip = [...(existing.skip ?? []), { id: rule, comment: reason }];
  resource.addMetadata('checkov', { skip });
}

function addCfnLintIgnore(resource: CfnResource, rule: string): void {
  const existing = (resource.getMetadata('cfn-lint') as { config?: { ignore_checks?: string[] } } | undefined) ?? {};
  const ignore = [...(existing.config?.ignore_checks ?? []), rule];
  resource.addMetadata('cfn-lint', { config: { ignore_checks: ignore } });
}

/**
 * Applies every acknowledgment to the constructs under `scope` it names:
 * cdk-nag findings through `Validations.of(...).acknowledge`, checkov and
 * cfn-lint skips as resource metadata. Returns how often each entry applied,
 * so a test can prove none is stale.
 */
export function applyAcknowledgments(scope: IConstruct): Map<Acknowledgment, number> {
  const used = new Map<Acknowledgment, number>(ACKNOWLEDGMENTS.map((a) => [a, 0]));
  const compiled = ACKNOWLEDGMENTS.map((a) => ({ ack: a, re: new RegExp(a.target) }));
  for (const construct of scope.node.findAll()) {
    const where = relativePath(construct);
    if (!where) {
      continue;
    }
    for (const { ack, re } of compiled) {
      const m = re.exec(where.path);
      if (!m || (ack.profile && ack.profile !== where.profile)) {
        continue;
      }
      const rule = expandRule(ack.rule, where.stack, [...m]);
      if (ack.checker === 'nag') {
        Validations.of(construct).acknowledge({ id: rule, reason: ack.reason });
      } else if (CfnResource.isCfnResource(construct)) {
        if (ack.checker === 'checkov') {
          addCheckovSkip(construct, rule, ack.reason);
        } else {
          addCfnLintIgnore(construct, rule);
        }
      } else {
        throw new Error(`${ack.checker} skip ${ack.rule} targets ${construct.node.path}, which is not a CloudFormation resource`);
      }
      used.set(ack, (used.get(ack) ?? 0) + 1);
    }
  }
  return used;
}

/** A cdk-nag finding that no acknowledgment covers. */
export interface Finding {
  readonly rule: string;
  readonly paths: string[];
}

/**
 * The unacknowledged findings of a synthesized assembly, from CDK's
 * validation report. CDK fails the synth for findings in top-level stacks
 * only, so the app checks the report itself (findings in Stages too).
 */
export function unacknowledgedFindings(assemblyDir: string): Finding[] {
  const file = path.join(assemblyDir, 'validation-report.json');
  if (!fs.existsSync(file)) {
    return [];
  }
  const report = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    pluginReports: { violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[] }[];
  };
  return report.pluginReports.flatMap((p) =>
    p.violations.map((v) => ({ rule: v.ruleName, paths: v.violatingConstructs.map((c) => c.constructPath) })),
  );
}

/** Ends the process with an error listing every unacknowledged finding. */
export function failOnFindings(assemblyDir: string): void {
  const findings = unacknowledgedFindings(assemblyDir);
  if (findings.length === 0) {
    return;
  }
  for (const f of findings) {
    console.error(`cdk-nag: ${f.rule}\n    ${f.paths.join('\n    ')}`);
  }
  console.error(`cdk-nag: ${findings.length} unacknowledged finding(s); fix them or acknowledge them with a reason in lib/compliance.ts`);
  process.exitCode = 1;
}

/** The stacks under a scope (a Stage or the App). */
export function stacksOf(scope: IConstruct): Stack[] {
  return scope.node.findAll().filter((c): c is Stack => Stack.isStack(c));
}
