{% raw -%}
"""Integration tests of the deployed network (NET-01..NET-06): the VPC, subnets, NAT gateways,
endpoints, flow logs and default security group of the environment, read with boto3 and
compared with envs/<env>/terraform.tfvars. They skip without credentials or outputs
(tests/integration/conftest.py)."""

import ipaddress


def test_net_01_live_vpc_has_the_answered_cidr_and_resolves_dns(outputs, tfvars, aws):
    ec2 = aws.client("ec2")
    vpc = ec2.describe_vpcs(VpcIds=[outputs["vpc_id"]])["Vpcs"][0]
    assert vpc["CidrBlock"] == tfvars["vpc_cidr"] == outputs["vpc_cidr"]
    for attribute, key in (("enableDnsSupport", "EnableDnsSupport"), ("enableDnsHostnames", "EnableDnsHostnames")):
        value = ec2.describe_vpc_attribute(VpcId=outputs["vpc_id"], Attribute=attribute)[key]["Value"]
        assert value is True, f"{attribute} is off"


def test_net_02_live_subnets_match_the_tiers_one_per_zone(outputs, tfvars, aws):
    ec2 = aws.client("ec2")
    vpc = ipaddress.ip_network(tfvars["vpc_cidr"])
    for tier in ("public", "private", "isolated"):
        subnet_ids = outputs[f"{tier}_subnet_ids"]
        subnets = ec2.describe_subnets(SubnetIds=subnet_ids)["Subnets"] if subnet_ids else []
        assert sorted(s["CidrBlock"] for s in subnets) == sorted(tfvars["subnets"][tier]), tier
        assert len({s["AvailabilityZone"] for s in subnets}) == len(subnets), f"{tier} subnets share a zone"
        for s in subnets:
            assert s["VpcId"] == outputs["vpc_id"], s["SubnetId"]
            assert s["MapPublicIpOnLaunch"] is False, f"{s['SubnetId']} hands out public IPs"
            assert ipaddress.ip_network(s["CidrBlock"]).subnet_of(vpc)


def test_net_02_live_isolated_subnets_have_no_internet_route(outputs, aws):
    tables = aws.client("ec2").describe_route_tables(
        Filters=[{"Name": "association.subnet-id", "Values": outputs["isolated_subnet_ids"]}])["RouteTables"]
    associated = {a.get("SubnetId") for t in tables for a in t.get("Associations", [])}
    assert set(outputs["isolated_subnet_ids"]) <= associated, "an isolated subnet uses the main route table"
    for table in tables:
        for route in table["Routes"]:
            assert route.get("DestinationCidrBlock") != "0.0.0.0/0", (table["RouteTableId"], route)
            assert route.get("DestinationIpv6CidrBlock") != "::/0", (table["RouteTableId"], route)


def test_net_03_live_nat_gateways_match_the_mode(outputs, tfvars, aws):
    ec2 = aws.client("ec2")
    nats = ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [outputs["vpc_id"]]},
                                              {"Name": "state", "Values": ["available"]}])["NatGateways"]
    want = {"per-az": len(tfvars["subnets"]["public"]), "single": 1, "none": 0}[tfvars["nat_mode"]]
    assert len(nats) == want == outputs["nat_gateway_count"], f"nat_mode {tfvars['nat_mode']}: {len(nats)} NAT gateways available"
    nat_ids = {n["NatGatewayId"] for n in nats}
    tables = ec2.describe_route_tables(
        Filters=[{"Name": "association.subnet-id", "Values": outputs["private_subnet_ids"]}])["RouteTables"]
    for table in tables:
        defaults = [r for r in table["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
        if want == 0:
            assert defaults == [], f"{table['RouteTableId']} has a default route without a NAT gateway"
        else:
            assert len(defaults) == 1 and defaults[0].get("NatGatewayId") in nat_ids, table["RouteTableId"]


def test_net_04_live_endpoints_match_the_answers(outputs, tfvars, aws):
    found = aws.client("ec2").describe_vpc_endpoints(
        Filters=[{"Name": "vpc-id", "Values": [outputs["vpc_id"]]}])["VpcEndpoints"]
    region = f".{tfvars['region']}."
    live = {e["ServiceName"].split(region, 1)[-1]: e for e in found if e["State"].lower() == "available"}
    assert set(live) == set(tfvars["gateway_endpoints"]) | set(tfvars["interface_endpoints"])
    for name in tfvars["gateway_endpoints"]:
        assert live[name]["VpcEndpointType"] == "Gateway", name
    for name in tfvars["interface_endpoints"]:
        assert live[name]["VpcEndpointType"] == "Interface", name
        assert live[name]["PrivateDnsEnabled"] is True, f"{name}: private DNS is off"


def test_net_05_live_flow_logs_go_to_the_encrypted_log_group(outputs, tfvars, aws):
    logs = aws.client("ec2").describe_flow_logs(
        Filters=[{"Name": "resource-id", "Values": [outputs["vpc_id"]]}])["FlowLogs"]
    ours = [f for f in logs if f.get("LogGroupName") == outputs["flow_log_group_name"]]
    assert len(ours) == 1, logs
    assert ours[0]["TrafficType"] == "ALL"
    assert ours[0]["FlowLogStatus"] == "ACTIVE"
    assert ours[0].get("DeliverLogsStatus", "SUCCESS") == "SUCCESS", ours[0].get("DeliverLogsErrorMessage")
    groups = aws.client("logs").describe_log_groups(logGroupNamePrefix=outputs["flow_log_group_name"])["logGroups"]
    group = next(g for g in groups if g["logGroupName"] == outputs["flow_log_group_name"])
    assert group.get("kmsKeyId") == outputs["kms_key_arn"], "the flow log group is not encrypted with the environment key"
    assert group.get("retentionInDays") == tfvars["log_retention_days"]


def test_net_06_live_default_security_group_has_no_rules(outputs, aws):
    groups = aws.client("ec2").describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [outputs["vpc_id"]]}, {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"]
    assert len(groups) == 1
    assert groups[0]["IpPermissions"] == [], "the default security group still has ingress rules"
    assert groups[0]["IpPermissionsEgress"] == [], "the default security group still has egress rules"
{%- endraw %}
