"""Network controls over modules/network, parsed offline."""

from hcl_helpers import MODULES, resource, resources, value

NET = MODULES / "network"


def test_net_01_vpc_dns():
    vpc = resource(NET, "aws_vpc", "this")
    assert value(vpc, "enable_dns_support") is True
    assert value(vpc, "enable_dns_hostnames") is True
    assert value(vpc, "cidr_block") == "${var.vpc_cidr}"


def test_net_02_three_tiers_keyed_by_zone_position():
    for tier in ("public", "private", "isolated"):
        subnet = resource(NET, "aws_subnet", tier)
        assert value(subnet, "for_each") == "${local." + tier + "}"
        assert "local.zones[each.key]" in value(subnet, "availability_zone")
    assert value(resource(NET, "aws_subnet", "public"), "map_public_ip_on_launch") is False


def test_net_03_nat_follows_the_mode():
    assert "var.nat_mode" in value(resource(NET, "aws_route", "private_nat"), "for_each")
    assert "local.nat_keys" in value(resource(NET, "aws_nat_gateway", "this"), "for_each")


def test_net_04_interface_endpoints_private_dns():
    endpoint = resource(NET, "aws_vpc_endpoint", "interface")
    assert value(endpoint, "private_dns_enabled") is True
    assert value(resource(NET, "aws_vpc_endpoint", "gateway"), "vpc_endpoint_type") == "Gateway"


def test_net_05_flow_logs_all_traffic_encrypted():
    assert value(resource(NET, "aws_flow_log", "this"), "traffic_type") == "ALL"
    group = resource(NET, "aws_cloudwatch_log_group", "flow_logs")
    assert value(group, "kms_key_id") == "${var.kms_key_arn}"
    assert value(group, "retention_in_days") == "${var.log_retention_days}"


def test_net_06_default_security_group_has_no_rules():
    sg = resource(NET, "aws_default_security_group", "this")
    assert value(sg, "ingress") == [] and value(sg, "egress") == []


def test_net_07_egress_rules_are_narrow():
    for (rtype, name), attrs in resources(NET).items():
        if rtype == "aws_vpc_security_group_egress_rule":
            assert value(attrs, "ip_protocol") != "-1", f"{name} allows every protocol"
            assert value(attrs, "description"), f"{name} has no description"


def test_net_08_no_ingress_from_address_ranges_to_the_app():
    assert value(resource(NET, "aws_security_group", "app"), "ingress") == []
    for (rtype, name), attrs in resources(NET).items():
        if rtype == "aws_vpc_security_group_ingress_rule":
            assert "app" not in value(attrs, "security_group_id"), f"{name} opens the application to an address range"
