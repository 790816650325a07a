{% raw -%}
"""Integration tests of the deployed network stack (controls NET-01..NET-08).

They read the outputs of <project>-<env>-network through the `stack_outputs`
fixture and check the live resources with boto3 (`aws` fixture). Without AWS
credentials or without a deployed stack every test is skipped with a message
saying why (see tests/integration/conftest.py).
"""

import ipaddress
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORLD = {"0.0.0.0/0", "::/0"}


def stored_answers():
    return yaml.safe_load((ROOT / ".stackwright" / "answers.yaml").read_text())


def ids(outputs, key):
    return [x for x in outputs[key].split(",") if x]


def test_net_01_live_vpc_resolves_dns(stack_outputs, aws):
    out = stack_outputs("network")
    ec2 = aws.client("ec2")
    vpc = ec2.describe_vpcs(VpcIds=[out["VpcId"]])["Vpcs"][0]
    assert vpc["CidrBlock"] == out["VpcCidr"]
    for attribute, key in (("enableDnsSupport", "EnableDnsSupport"), ("enableDnsHostnames", "EnableDnsHostnames")):
        value = ec2.describe_vpc_attribute(VpcId=out["VpcId"], Attribute=attribute)[key]["Value"]
        assert value is True, f"{attribute} is off"


def test_net_02_live_subnets_spread_over_azs_without_public_ips(stack_outputs, aws):
    out = stack_outputs("network")
    ec2 = aws.client("ec2")
    vpc = ipaddress.ip_network(out["VpcCidr"])
    azs = int(stored_answers()["network"]["availability_zones"])
    for tier in ("Public", "Private", "Isolated"):
        subnet_ids = ids(out, f"{tier}SubnetIds")
        assert len(subnet_ids) == azs, f"{tier}: {subnet_ids}"
        subnets = ec2.describe_subnets(SubnetIds=subnet_ids)["Subnets"]
        assert len({s["AvailabilityZone"] for s in subnets}) == azs, f"{tier} subnets share an AZ"
        for s in subnets:
            assert s["VpcId"] == out["VpcId"]
            assert s["MapPublicIpOnLaunch"] is False, f"{s['SubnetId']} hands out public IPs"
            assert ipaddress.ip_network(s["CidrBlock"]).subnet_of(vpc)


def test_net_02_live_isolated_tier_has_no_internet_route(stack_outputs, aws):
    out = stack_outputs("network")
    table = aws.client("ec2").describe_route_tables(RouteTableIds=[out["IsolatedRouteTableId"]])["RouteTables"][0]
    for route in table["Routes"]:
        assert route.get("DestinationCidrBlock") != "0.0.0.0/0", route
        assert not route.get("GatewayId", "").startswith("igw-") and "NatGatewayId" not in route, route


def test_net_03_live_nat_gateways_match_the_mode(stack_outputs, aws):
    out = stack_outputs("network")
    ec2 = aws.client("ec2")
    azs = len(ids(out, "PrivateSubnetIds"))
    nats = ec2.describe_nat_gateways(
        Filters=[{"Name": "vpc-id", "Values": [out["VpcId"]]}, {"Name": "state", "Values": ["available"]}]
    )["NatGateways"]
    want = {"per-az": azs, "single": 1, "none": 0}[out["NatMode"]]
    assert len(nats) == want, f"NatMode {out['NatMode']}: {len(nats)} NAT gateways available"
    nat_ids = {n["NatGatewayId"] for n in nats}
    tables = ec2.describe_route_tables(RouteTableIds=ids(out, "PrivateRouteTableIds"))["RouteTables"]
    for table in tables:
        defaults = [r for r in table["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
        if want == 0:
            assert defaults == [], f"{table['RouteTableId']} has a default route without NAT"
        else:
            assert len(defaults) == 1 and defaults[0].get("NatGatewayId") in nat_ids, table["RouteTableId"]


def test_net_04_live_endpoints_match_answers(stack_outputs, aws):
    out = stack_outputs("network")
    found = aws.client("ec2").describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [out["VpcId"]]}])["VpcEndpoints"]
    region = f".{stored_answers()['region']}."
    # com.amazonaws.<region>.ecr.api -> ecr.api (the prefix differs by partition)
    services = {e["ServiceName"].split(region, 1)[-1]: e for e in found if e["State"].lower() == "available"}
    wanted = set(stored_answers()["network"].get("endpoints", []))
    assert set(services) == wanted
    for name, e in services.items():
        if e["VpcEndpointType"] == "Interface":
            assert e["PrivateDnsEnabled"] is True, name
            assert [g["GroupId"] for g in e["Groups"]] == [out["EndpointSecurityGroupId"]], name


def test_net_05_live_flow_logs_delivered_encrypted(stack_outputs, aws):
    out = stack_outputs("network")
    logs = aws.client("ec2").describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [out["VpcId"]]}])["FlowLogs"]
    ours = [f for f in logs if f.get("LogGroupName") == out["FlowLogGroupName"]]
    assert len(ours) == 1, logs
    assert ours[0]["TrafficType"] == "ALL"
    assert ours[0]["FlowLogStatus"] == "ACTIVE"
    assert ours[0].get("DeliverLogsStatus", "SUCCESS") == "SUCCESS", ours[0].get("DeliverLogsErrorMessage")
    groups = aws.client("logs").describe_log_groups(logGroupNamePrefix=out["FlowLogGroupName"])["logGroups"]
    group = next(g for g in groups if g["logGroupName"] == out["FlowLogGroupName"])
    assert group.get("kmsKeyId"), "flow log group is not KMS-encrypted"
    assert group.get("retentionInDays"), "flow log group keeps logs forever"


def test_net_06_live_default_security_group_has_no_rules(stack_outputs, aws):
    out = stack_outputs("network")
    sg = aws.client("ec2").describe_security_groups(GroupIds=[out["DefaultSecurityGroupId"]])["SecurityGroups"][0]
    assert sg["GroupName"] == "default" and sg["VpcId"] == out["VpcId"]
    assert sg["IpPermissions"] == [], "default security group still has ingress rules"
    assert sg["IpPermissionsEgress"] == [], "default security group still has egress rules"


def test_net_07_live_security_group_rules_are_described(stack_outputs, aws):
    out = stack_outputs("network")
    group_ids = [out["AppSecurityGroupId"]] + [out[k] for k in ("LambdaSecurityGroupId", "EndpointSecurityGroupId") if k in out]
    rules = aws.client("ec2").describe_security_group_rules(Filters=[{"Name": "group-id", "Values": group_ids}])["SecurityGroupRules"]
    assert rules
    for rule in rules:
        assert rule.get("Description"), f"{rule['SecurityGroupRuleId']} has no description"
        assert rule["IpProtocol"] != "-1", f"{rule['SecurityGroupRuleId']} allows every protocol"


def test_app_05_live_app_security_group_admits_no_address_range(stack_outputs, aws):
    # No load balancer: nothing outside the VPC can reach the app, and no rule says otherwise.
    out = stack_outputs("network")
    sg = aws.client("ec2").describe_security_groups(GroupIds=[out["AppSecurityGroupId"]])["SecurityGroups"][0]
    cidrs = [r["CidrIp"] for p in sg["IpPermissions"] for r in p.get("IpRanges", [])]
    cidrs += [r["CidrIpv6"] for p in sg["IpPermissions"] for r in p.get("Ipv6Ranges", [])]
    assert cidrs == []
    assert not WORLD & set(cidrs)
{%- endraw %}
