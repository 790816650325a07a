// Network of one environment: VPC over 2-3 AZs taken from Fn::GetAZs (NET-01,
// NET-02, GEN-04), NAT by profile (NET-03), endpoints (NET-04), flow logs
// (NET-05), the default security group emptied (NET-06) and the application
// security groups (NET-07, NET-08).
import { CfnOutput, Fn, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { APP, EnvironmentConfig, NETWORK, PROJECT } from '../config/environments';
import { retention } from './common';

export interface NetworkStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly key: kms.IKey;
}

const GATEWAY: Record<string, ec2.GatewayVpcEndpointAwsService> = {
  s3: ec2.GatewayVpcEndpointAwsService.S3,
  dynamodb: ec2.GatewayVpcEndpointAwsService.DYNAMODB,
};

/** The application tier's subnets (with NAT egress when the environment has NAT). */
export const PRIVATE_SUBNETS: ec2.SubnetSelection = { subnetGroupName: 'private' };
/** The database tier's subnets: no route out of the VPC. */
export const ISOLATED_SUBNETS: ec2.SubnetSelection = { subnetGroupName: 'isolated' };

type Tier = 'public' | 'private' | 'isolated';

/**
 * NET-02: the subnet ranges stackwright computed from the VPC range (the same
 * as the CloudFormation flavour's), handed to the VPC in its request order.
 */
export class PlannedSubnets implements ec2.IIpAddresses {
  constructor(private readonly env: EnvironmentConfig) {}

  allocateVpcCidr(): ec2.VpcIpamOptions {
    return { cidrBlock: this.env.vpcCidr };
  }

  allocateSubnetsCidr(input: ec2.AllocateCidrRequest): ec2.SubnetIpamOptions {
    const next: Record<Tier, number> = { public: 0, private: 0, isolated: 0 };
    return {
      allocatedSubnets: input.requestedSubnets.map((r) => {
        const tier = r.configuration.name as Tier;
        const cidr = this.env.subnets[tier]?.[next[tier]++];
        if (!cidr) {
          throw new Error(`no planned ${tier} subnet for ${r.subnetConstructId} in ${this.env.name}`);
        }
        return { cidr };
      }),
    };
  }
}

export class NetworkStack extends Stack {
  readonly vpc: ec2.Vpc;
  readonly appSecurityGroup?: ec2.SecurityGroup;
  readonly flowLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const env = props.config;
    const azs = Array.from({ length: NETWORK.availabilityZones }, (_, i) => Fn.select(i, Fn.getAzs()));

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: new PlannedSubnets(env),
      availabilityZones: azs,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      natGateways: env.natGateways,
      restrictDefaultSecurityGroup: true,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, mapPublicIpOnLaunch: false },
        {
          name: 'private',
          subnetType: env.natGateways > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED,
        },
        { name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      ],
    });

    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogGroup', {
      retention: retention(env.logRetentionDays),
      encryptionKey: props.key,
      removalPolicy: env.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });

    for (const name of NETWORK.gatewayEndpoints) {
      const service = GATEWAY[name];
      if (!service) {
        throw new Error(`unknown gateway endpoint '${name}'; known: ${Object.keys(GATEWAY).join(', ')}`);
      }
      this.vpc.addGatewayEndpoint(`${name}Endpoint`, { service, subnets: [PRIVATE_SUBNETS, ISOLATED_SUBNETS] });
    }
    if (NETWORK.interfaceEndpoints.length > 0) {
      const endpointSg = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
        vpc: this.vpc,
        description: `${PROJECT.name}-${env.name}: interface endpoints, HTTPS from the VPC only`,
        allowAllOutbound: false,
      });
      endpointSg.addIngressRule(ec2.Peer.ipv4(env.vpcCidr), ec2.Port.tcp(443), 'HTTPS from inside the VPC');
      for (const name of NETWORK.interfaceEndpoints) {
        this.vpc.addInterfaceEndpoint(`${name}Endpoint`, {
          service: new ec2.InterfaceVpcEndpointAwsService(name),
          privateDnsEnabled: true,
          securityGroups: [endpointSg],
          subnets: PRIVATE_SUBNETS,
          open: false,
        });
      }
    }

    // GEN-05: what neighbour stacks and integration tests read.
    new CfnOutput(this, 'VpcId', { value: this.vpc.vpcId });
    new CfnOutput(this, 'PrivateSubnetIds', { value: this.vpc.selectSubnets(PRIVATE_SUBNETS).subnetIds.join(',') });
    new CfnOutput(this, 'IsolatedSubnetIds', { value: this.vpc.selectSubnets(ISOLATED_SUBNETS).subnetIds.join(',') });

    if (APP) {
      // NET-07/NET-08/APP-05: no ingress from address ranges. The application
      // runs in private subnets and no stack creates a load balancer, so a rule
      // admitting the trusted CIDRs would suggest a path that does not exist;
      // people reach the app through Session Manager port forwarding (README).
      // The database stack admits this group on the database port.
      this.appSecurityGroup = new ec2.SecurityGroup(this, 'AppSecurityGroup', {
        vpc: this.vpc,
        description: `${PROJECT.name}-${env.name}: application tier, no ingress from address ranges (no load balancer)`,
        allowAllOutbound: false,
      });
      this.appSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs and updates');
      this.appSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'HTTP for package repositories');
      this.appSecurityGroup.addEgressRule(ec2.Peer.ipv4(env.vpcCidr), ec2.Port.udp(53), 'DNS to the VPC resolver');
      this.appSecurityGroup.addEgressRule(ec2.Peer.ipv4(env.vpcCidr), ec2.Port.tcp(53), 'DNS over TCP to the VPC resolver');
    }
  }
}
