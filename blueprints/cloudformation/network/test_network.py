{% raw -%}
"""Unit tests of templates/network.yaml (controls NET-01..NET-08).

Offline and fast: they read the rendered template, the parameter file of every
environment and the answers the project was generated from, and check the
controls against what those answers ask for. One template serves every
environment, so conditional resources are evaluated with each environment's
parameter values.
"""

import ipaddress

import pytest

from helpers import answers, as_list, env_names, one, resources, stack_params, statements, template, template_names, walk

TIERS = ("Public", "Private", "Isolated")
GATEWAY_SERVICES = {"s3", "dynamodb"}
DB_PORTS = {"postgres": 5432, "aurora-postgresql": 5432, "mysql": 3306, "aurora-mysql": 3306}
RETENTION_DAYS = {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
WORLD = {"0.0.0.0/0", "::/0"}


def tpl():
    return template("network")


def res():
    return resources(tpl())


def az_count():
    return int(answers()["network"]["availability_zones"])


def project():
    return answers()["project"]["name"]


def environments():
    return {e["name"]: e for e in answers()["environments"]}


def env_values(env):
    """Parameter values this environment deploys with: template defaults overlaid by params/<env>.json."""
    values = {k: p.get("Default") for k, p in tpl().get("Parameters", {}).items()}
    values.update(stack_params(env, "network"))
    return values


def resolve(node, values):
    if isinstance(node, dict) and set(node) == {"Ref"}:
        return values[node["Ref"]]
    return node


def condition_holds(expr, values):
    """Evaluates a CloudFormation condition (Equals/Not/And/Or/Condition) for one environment."""
    if isinstance(expr, bool):
        return expr
    (fn, arg), = expr.items()
    if fn == "Fn::Equals":
        left, right = (resolve(x, values) for x in arg)
        return str(left) == str(right)
    if fn == "Fn::Not":
        return not condition_holds(arg[0], values)
    if fn == "Fn::And":
        return all(condition_holds(a, values) for a in arg)
    if fn == "Fn::Or":
        return any(condition_holds(a, values) for a in arg)
    if fn == "Condition":
        return condition_holds(tpl()["Conditions"][arg], values)
    raise AssertionError(f"unexpected condition function {fn}")


def exists_with(logical_id, values):
    cond = res()[logical_id].get("Condition")
    return cond is None or condition_holds(tpl()["Conditions"][cond], values)


def exists(logical_id, env):
    return exists_with(logical_id, env_values(env))


def pick(node, env):
    """Resolves Fn::If for one environment."""
    if isinstance(node, dict) and set(node) == {"Fn::If"}:
        cond, yes, no = node["Fn::If"]
        return pick(yes if condition_holds(tpl()["Conditions"][cond], env_values(env)) else no, env)
    return node


def expected_nat_mode(env):
    nat = answers()["network"].get("nat", "auto")
    if nat == "auto":
        return "per-az" if environments()[env]["profile"] == "production" else "single"
    return nat


def is_ref(node, name):
    return node == {"Ref": name}


def ingress_rules(sg):
    return as_list(sg["Properties"].get("SecurityGroupIngress", []))


def egress_rules(sg):
    return as_list(sg["Properties"].get("SecurityGroupEgress", []))


def all_security_group_rules():
    """(owner, direction, rule) for inline and standalone rules of every security group."""
    for name, r in res().items():
        if r["Type"] == "AWS::EC2::SecurityGroup":
            for rule in ingress_rules(r):
                yield name, "ingress", rule
            for rule in egress_rules(r):
                yield name, "egress", rule
        elif r["Type"] == "AWS::EC2::SecurityGroupIngress":
            yield name, "ingress", r["Properties"]
        elif r["Type"] == "AWS::EC2::SecurityGroupEgress":
            yield name, "egress", r["Properties"]


def endpoints(kind):
    return {
        name: r
        for name, r in resources(tpl(), "AWS::EC2::VPCEndpoint").items()
        if r["Properties"].get("VpcEndpointType") == kind
    }


def service_of(endpoint):
    """`ssm` from !Sub "com.amazonaws.${AWS::Region}.ssm"."""
    name = endpoint["Properties"]["ServiceName"]
    assert isinstance(name, dict) and "Fn::Sub" in name, "service names are built with !Sub, never with a region literal"
    text = name["Fn::Sub"]
    assert ".${AWS::Region}." in text, text
    return text.split(".${AWS::Region}.", 1)[1]


# ---------------------------------------------------------------- NET-01


def test_net_01_vpc_has_dns_support_and_hostnames():
    vpc = one(tpl(), "AWS::EC2::VPC")["Properties"]
    assert vpc["EnableDnsSupport"] is True
    assert vpc["EnableDnsHostnames"] is True
    assert is_ref(vpc["CidrBlock"], "VpcCidr"), "the VPC range comes from the per-environment parameter"


def test_net_01_vpc_cidr_per_environment_from_answers_without_overlap():
    cidrs = {}
    for env in env_names():
        value = stack_params(env, "network")["VpcCidr"]
        given = environments()[env].get("vpc_cidr")
        if given:
            assert value == given, f"{env}: params pass {value}, the answers say {given}"
        cidrs[env] = ipaddress.ip_network(value)
        assert 16 <= cidrs[env].prefixlen <= 24, f"{env}: {value} is outside /16../24"
    names = sorted(cidrs)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not cidrs[a].overlaps(cidrs[b]), f"{a} {cidrs[a]} overlaps {b} {cidrs[b]}"


# ---------------------------------------------------------------- NET-02


def test_net_02_three_subnet_tiers_across_the_answered_azs():
    subnets = resources(tpl(), "AWS::EC2::Subnet")
    assert len(subnets) == 3 * az_count(), sorted(subnets)
    for tier in TIERS:
        for i in range(az_count()):
            props = subnets[f"{tier}Subnet{i + 1}"]["Properties"]
            assert props["AvailabilityZone"] == {"Fn::Select": [i, {"Fn::GetAZs": ""}]}, "AZ chosen by index, not by name"
            assert is_ref(props["CidrBlock"], f"{tier}Subnet{i + 1}Cidr")
            assert is_ref(props["VpcId"], "Vpc")
            assert props.get("MapPublicIpOnLaunch") is False, f"{tier}Subnet{i + 1} must not hand out public IPs"


def test_net_02_subnet_cidrs_are_computed_from_the_vpc_cidr():
    for env in env_names():
        p = stack_params(env, "network")
        vpc = ipaddress.ip_network(p["VpcCidr"])
        slots = list(vpc.subnets(prefixlen_diff=4))
        seen = []
        for t, tier in enumerate(TIERS):
            for a in range(az_count()):
                got = ipaddress.ip_network(p[f"{tier}Subnet{a + 1}Cidr"])
                assert got == slots[t * 4 + a], f"{env} {tier}Subnet{a + 1}Cidr: {got}, expected {slots[t * 4 + a]}"
                assert got.subnet_of(vpc)
                assert not any(got.overlaps(other) for other in seen), f"{env}: {got} overlaps another subnet"
                seen.append(got)
        subnet_keys = {k for k in p if "Subnet" in k and k.endswith("Cidr")}
        assert subnet_keys == {f"{t}Subnet{a + 1}Cidr" for t in TIERS for a in range(az_count())}, f"{env}: {sorted(subnet_keys)}"


def test_net_02_route_tables_per_tier():
    r = res()
    route = r["PublicDefaultRoute"]
    assert route["Properties"]["DestinationCidrBlock"] == "0.0.0.0/0"
    assert is_ref(route["Properties"]["GatewayId"], "InternetGateway")
    assert "InternetGatewayAttachment" in as_list(route.get("DependsOn", []))
    assoc = {
        a["Properties"]["SubnetId"]["Ref"]: a["Properties"]["RouteTableId"]["Ref"]
        for a in resources(tpl(), "AWS::EC2::SubnetRouteTableAssociation").values()
    }
    for i in range(1, az_count() + 1):
        assert assoc[f"PublicSubnet{i}"] == "PublicRouteTable"
        assert assoc[f"PrivateSubnet{i}"] == f"PrivateRouteTable{i}", "one private route table per AZ"
        assert assoc[f"IsolatedSubnet{i}"] == "IsolatedRouteTable"
    routes = resources(tpl(), "AWS::EC2::Route").values()
    isolated = [x for x in routes if is_ref(x["Properties"]["RouteTableId"], "IsolatedRouteTable")]
    assert isolated == [], "the isolated tier must have no route to the internet"
    private_targets = [x["Properties"] for x in routes if x["Properties"]["RouteTableId"]["Ref"].startswith("PrivateRouteTable")]
    assert all("GatewayId" not in x for x in private_targets), "private subnets never route to the internet gateway"


# ---------------------------------------------------------------- NET-03


def test_net_03_nat_mode_follows_answers_and_profile():
    allowed = tpl()["Parameters"]["NatMode"]["AllowedValues"]
    assert tpl()["Parameters"]["NatMode"]["Default"] == "per-az", "the default is the safe (per-AZ) mode"
    for env in env_names():
        mode = stack_params(env, "network")["NatMode"]
        assert mode in allowed
        assert mode == expected_nat_mode(env), f"{env} ({environments()[env]['profile']}): NatMode {mode}"


def test_net_03_nat_conditions_give_the_right_count_for_every_mode():
    nats = resources(tpl(), "AWS::EC2::NatGateway")
    assert len(nats) == az_count(), "one NAT gateway definition per AZ, switched on by conditions"
    want = {"per-az": az_count(), "single": 1, "none": 0}
    assert set(tpl()["Parameters"]["NatMode"]["AllowedValues"]) == set(want)
    for mode, count in want.items():
        values = {"NatMode": mode}
        assert sum(exists_with(n, values) for n in nats) == count, f"NatMode {mode}"
        assert sum(exists_with(e, values) for e in resources(tpl(), "AWS::EC2::EIP")) == count, f"NatMode {mode}"
        routes = [r for r in resources(tpl(), "AWS::EC2::Route") if r.startswith("PrivateDefaultRoute")]
        assert sum(exists_with(r, values) for r in routes) == (az_count() if count else 0), f"NatMode {mode}"


def test_net_03_nat_gateways_follow_profile():
    nats = resources(tpl(), "AWS::EC2::NatGateway")
    for env in env_names():
        mode = stack_params(env, "network")["NatMode"]
        live = sorted(n for n in nats if exists(n, env))
        want = {"per-az": az_count(), "single": 1, "none": 0}[mode]
        assert len(live) == want, f"{env} ({mode}): NAT gateways {live}"
        for n in live:
            i = n.removeprefix("NatGateway")
            props = nats[n]["Properties"]
            assert is_ref(props["SubnetId"], f"PublicSubnet{i}"), f"{n} must sit in public subnet {i}"
            assert props["AllocationId"] == {"Fn::GetAtt": [f"NatEip{i}", "AllocationId"]}
            assert exists(f"NatEip{i}", env)
        eips = sorted(e for e in resources(tpl(), "AWS::EC2::EIP") if exists(e, env))
        assert len(eips) == want, f"{env}: EIPs {eips} without a NAT gateway cost money"


def test_net_03_private_routes_point_at_the_right_nat():
    for env in env_names():
        mode = stack_params(env, "network")["NatMode"]
        for i in range(1, az_count() + 1):
            routes = [
                (name, x)
                for name, x in resources(tpl(), "AWS::EC2::Route").items()
                if is_ref(x["Properties"]["RouteTableId"], f"PrivateRouteTable{i}") and exists(name, env)
            ]
            if mode == "none":
                assert routes == [], f"{env}: no NAT, so private route table {i} has no default route"
                continue
            assert len(routes) == 1, f"{env}: private route table {i} needs exactly one default route"
            props = routes[0][1]["Properties"]
            assert props["DestinationCidrBlock"] == "0.0.0.0/0"
            target = pick(props["NatGatewayId"], env)["Ref"]
            want = f"NatGateway{i}" if mode == "per-az" else "NatGateway1"
            assert target == want, f"{env} ({mode}): AZ {i} routes through {target}"
            assert exists(target, env)


# ---------------------------------------------------------------- NET-04


def test_net_04_gateway_endpoints_match_answers_on_private_and_isolated_tables():
    wanted = {e for e in answers()["network"].get("endpoints", []) if e in GATEWAY_SERVICES}
    found = {service_of(e): e for e in endpoints("Gateway").values()}
    assert set(found) == wanted
    tables = [{"Ref": f"PrivateRouteTable{i}"} for i in range(1, az_count() + 1)] + [{"Ref": "IsolatedRouteTable"}]
    for service, e in found.items():
        assert sorted(map(str, e["Properties"]["RouteTableIds"])) == sorted(map(str, tables)), service


def test_net_04_gateway_endpoint_policies_keep_to_this_account():
    for e in endpoints("Gateway").values():
        service = service_of(e)
        stmts = statements(e["Properties"]["PolicyDocument"])
        assert stmts, f"{service}: endpoint without a policy allows every account's resources"
        for s in stmts:
            assert s["Effect"] == "Allow" and s.get("Sid")
            assert "*" not in as_list(s["Action"]), f"{service}: no bare '*' action"
            scoped = any(
                "AWS::AccountId" in str(x) for x in walk(s.get("Condition", {}))
            ) or all("${AWS::AccountId}" in str(r) or "s3:::" in str(r) for r in as_list(s["Resource"]))
            assert scoped, f"{service} statement {s['Sid']} is not limited to this account or named AWS-owned buckets"
            if s["Resource"] == "*":
                assert s["Condition"]["StringEquals"]["aws:ResourceAccount"] == {"Ref": "AWS::AccountId"}
        read_only = [s for s in stmts if s["Resource"] != "*" and "s3:::" in str(s["Resource"])]
        for s in read_only:
            assert as_list(s["Action"]) == ["s3:GetObject"], "AWS-owned buckets are read-only"


def test_net_04_interface_endpoints_match_answers_with_private_dns():
    wanted = {e for e in answers()["network"].get("endpoints", []) if e not in GATEWAY_SERVICES}
    found = {service_of(e): e for e in endpoints("Interface").values()}
    # ecr.api stays ecr.api in the service name; the answers use the same names.
    assert set(found) == wanted
    private = [{"Ref": f"PrivateSubnet{i}"} for i in range(1, az_count() + 1)]
    for service, e in found.items():
        props = e["Properties"]
        assert props["PrivateDnsEnabled"] is True, service
        assert props["SubnetIds"] == private, f"{service}: one ENI per private subnet"
        assert props["SecurityGroupIds"] == [{"Ref": "EndpointSecurityGroup"}], service


def test_net_04_endpoint_security_group_allows_443_from_the_vpc_only():
    has_interface = bool(endpoints("Interface"))
    assert ("EndpointSecurityGroup" in res()) == has_interface, "the endpoint SG exists exactly when interface endpoints do"
    if not has_interface:
        return
    sg = res()["EndpointSecurityGroup"]
    for rule in ingress_rules(sg) + egress_rules(sg):
        assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 443, 443)
        assert is_ref(rule.get("CidrIp"), "VpcCidr"), rule
        assert rule.get("Description")
    assert ingress_rules(sg) and egress_rules(sg), "both directions are explicit"


# ---------------------------------------------------------------- NET-05


def test_net_05_flow_logs_capture_all_traffic_of_the_vpc():
    log = one(tpl(), "AWS::EC2::FlowLog")["Properties"]
    assert log["ResourceType"] == "VPC" and is_ref(log["ResourceId"], "Vpc")
    assert log["TrafficType"] == "ALL"
    assert log["LogDestinationType"] == "cloud-watch-logs"
    assert is_ref(log["LogGroupName"], "FlowLogGroup")
    assert log["DeliverLogsPermissionArn"] == {"Fn::GetAtt": ["FlowLogRole", "Arn"]}


def test_net_05_flow_log_group_encrypted_with_retention_per_environment():
    group = res()["FlowLogGroup"]
    assert group["Type"] == "AWS::Logs::LogGroup"
    assert group.get("DeletionPolicy") == "Retain" and group.get("UpdateReplacePolicy") == "Retain"
    props = group["Properties"]
    assert props["KmsKeyId"] == {"Fn::ImportValue": {"Fn::Sub": f"{project()}-${{EnvironmentName}}-security-KmsKeyArn"}}
    assert is_ref(props["RetentionInDays"], "LogRetentionDays")
    for env in env_names():
        days = int(stack_params(env, "network")["LogRetentionDays"])
        assert days in RETENTION_DAYS, f"{env}: {days} is not a CloudWatch retention value"
        if environments()[env]["profile"] == "production":
            assert days >= 365, f"{env} is production-like and keeps flow logs only {days} days"


def test_net_05_flow_log_role_is_least_privilege():
    role = res()["FlowLogRole"]["Properties"]
    (trust,) = statements(role["AssumeRolePolicyDocument"])
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert "vpc-flow-log/" in trust["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"]
    stmts = [s for p in role["Policies"] for s in statements(p["PolicyDocument"])]
    actions = {a for s in stmts for a in as_list(s["Action"])}
    assert actions == {"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"}
    for s in stmts:
        assert s.get("Sid")
        for r in as_list(s["Resource"]):
            assert r != "*" and "${FlowLogGroup}" in r["Fn::Sub"], f"{r} is not the flow log group"


# ---------------------------------------------------------------- NET-06


def test_net_06_default_security_group_rules_are_revoked():
    assoc = one(tpl(), "AWS::SSM::Association")["Properties"]
    assert assoc["Name"] == "AWSConfigRemediation-RemoveVPCDefaultSecurityGroupRules"
    assert assoc["AutomationTargetParameterName"] == "GroupId"
    assert assoc["Targets"] == [{"Key": "ParameterValues", "Values": [{"Fn::GetAtt": ["Vpc", "DefaultSecurityGroup"]}]}]
    assert assoc["Parameters"]["AutomationAssumeRole"] == [{"Fn::GetAtt": ["DefaultSecurityGroupCloserRole", "Arn"]}]
    assert assoc["WaitForSuccessTimeoutSeconds"] > 0, "the stack must not finish while the default SG is still open"
    assert assoc["ScheduleExpression"].startswith("rate("), "re-applied on a schedule, so hand-added rules go again"


def test_net_06_default_security_group_closer_role_is_scoped():
    role = res()["DefaultSecurityGroupCloserRole"]["Properties"]
    (trust,) = statements(role["AssumeRolePolicyDocument"])
    assert trust["Principal"] == {"Service": "ssm.amazonaws.com"}
    assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert "automation-execution/" in trust["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"]
    stmts = [s for p in role["Policies"] for s in statements(p["PolicyDocument"])]
    for s in stmts:
        assert s.get("Sid")
        actions = as_list(s["Action"])
        if s["Resource"] == "*":
            assert actions == ["ec2:DescribeSecurityGroups"], "only Describe (no resource-level permissions) gets '*'"
        else:
            assert "${Vpc.DefaultSecurityGroup}" in s["Resource"]["Fn::Sub"], "revoke only on the default SG"
            assert set(actions) <= {"ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress"}


def test_net_06_nothing_falls_back_to_the_default_security_group():
    for name, e in endpoints("Interface").items():
        assert e["Properties"].get("SecurityGroupIds"), f"{name} would get the default security group"


# ---------------------------------------------------------------- NET-07


def test_app_05_no_ingress_rule_pretends_the_app_is_reachable():
    # The app runs in private subnets and no stack creates a load balancer: a rule
    # admitting the trusted CIDRs would suggest a path that does not exist.
    # docs/app.md says how to reach the app (SSM port forwarding).
    for name in template_names():
        assert not resources(template(name), "AWS::ElasticLoadBalancingV2::LoadBalancer"), name
    for owner, direction, rule in all_security_group_rules():
        cidr = rule.get("CidrIp") or rule.get("CidrIpv6")
        # Only the VPC's own range (a !Ref) may be admitted, e.g. by the endpoints.
        if direction == "ingress" and isinstance(cidr, str):
            raise AssertionError(f"{owner} admits {cidr} with nothing in front of the app")
    assert ingress_rules(res()["AppSecurityGroup"]) == []


def test_net_07_app_egress_is_explicit_and_narrow():
    sg = res()["AppSecurityGroup"]
    rules = {(r["IpProtocol"], r["FromPort"], r["ToPort"], str(r.get("CidrIp"))) for r in egress_rules(sg)}
    want = {("tcp", 443, 443, "0.0.0.0/0")}
    engine = answers()["database"]["engine"]
    if engine != "none":
        port = DB_PORTS[engine]
        want.add(("tcp", port, port, str({"Ref": "VpcCidr"})))
    assert rules == want


def test_net_07_lambda_security_group_only_for_lambda_apps():
    is_lambda = answers()["app"]["kind"] == "lambda"
    assert ("LambdaSecurityGroup" in res()) == is_lambda
    assert ("LambdaSecurityGroupId" in tpl()["Outputs"]) == is_lambda
    if not is_lambda:
        return
    sg = res()["LambdaSecurityGroup"]
    assert ingress_rules(sg) == [], "Lambda functions accept no inbound connections"
    assert egress_rules(sg), "explicit egress, never the allow-all default"
    for rule in egress_rules(sg):
        assert is_ref(rule["CidrIp"], "VpcCidr"), "Lambda egress stays inside the VPC (endpoints, database)"
        assert rule["IpProtocol"] == "tcp" and rule["FromPort"] == rule["ToPort"]


def test_net_07_every_security_group_rule_is_described_and_port_bound():
    rules = list(all_security_group_rules())
    assert rules
    for owner, direction, rule in rules:
        assert str(rule.get("Description", "")).strip(), f"{owner} {direction} rule without a description"
        assert str(rule.get("IpProtocol")) not in {"-1", "all"}, f"{owner} {direction} rule allows every protocol"


# ---------------------------------------------------------------- NET-08


def test_net_08_no_world_open_ingress():
    allowed = answers()["network"].get("allow_public_ingress", False) is True
    world = []
    for owner, direction, rule in all_security_group_rules():
        cidr = rule.get("CidrIp") or rule.get("CidrIpv6")
        if direction == "ingress" and isinstance(cidr, str) and cidr in WORLD:
            world.append((owner, cidr))
    # Even where the answers allow a /0 trusted CIDR, nothing is opened to it
    # until a load balancer exists (APP-05).
    assert world == [], f"world-open ingress: {world}"
    if any(c.strip().endswith("/0") for c in answers()["network"].get("trusted_cidrs", [])):
        assert allowed, "a /0 trusted CIDR is only valid with network.allow_public_ingress: true"


def test_net_08_no_public_ingress_skips():
    for name, r in res().items():
        skips = [s["id"] for s in r.get("Metadata", {}).get("checkov", {}).get("skip", [])]
        assert "CKV_AWS_260" not in skips, f"{name}: no world-open port 80, so no skip for it"
{%- endraw %}
