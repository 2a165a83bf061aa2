# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: hybrid_nodes
short_description: AWS SSM managed nodes (hybrid C(mi-...) nodes) as inventory hosts
version_added: 1.0.0
description:
  - Lists AWS Systems Manager managed nodes (DescribeInstanceInformation, pages of at most 50, every page
    followed) in each region of O(regions) and makes each node an inventory host.
  - Uses a YAML configuration file whose name ends with C(hybrid_nodes.yml) or C(hybrid_nodes.yaml).
  - The host variables of a node are the node as M(hybridops.ssm.ssm_managed_instance_info) returns it
    (C(instance_id), C(ping_status), C(last_ping_date_time), C(registration_date), C(activation_id),
    C(iam_role), C(resource_type), C(computer_name), C(ip_address), C(platform_type), C(agent_version), ...),
    plus C(region) and, with O(include_tags=true), the tags as a dictionary. The role
    P(hybridops.ssm.decommission_hybrid_node#role) reads C(instance_id) and C(region).
  - Two fields take another name as host variables, since Ansible reserves their own names (play keywords)
    and ansible-core warns on every run about a host variable so named - the node's SSM name (C(name) in the
    module's result) is C(node_name), and its tags (C(tags)) are C(node_tags). No other host variable is a
    name Ansible reserves. With O(hostvars_prefix) or O(hostvars_suffix) every field keeps its own name
    (C(ssm_name), C(ssm_tags) with V(ssm_)), which the prefix or suffix already keeps clear of the reserved ones.
  - The expressions of O(compose), O(groups) and O(keyed_groups) see every field under both names, its own
    (unprefixed) and its host variable's, so C(name) and C(node_name) read the same value there.
  - No group holds every host by default, so that no play reaches the whole fleet by accident; make groups
    with O(keyed_groups) and O(groups).
  - Every option is checked before any request; a bad one fails with a message naming the option, the value
    and the rule.
  - A failed listing (throttling or server errors after every retry, a denied permission, an endpoint that
    cannot be reached) fails the source; it is never read as "no nodes". Ansible then only warns and goes on
    with an empty inventory unless C(ANSIBLE_INVENTORY_UNPARSED_FAILED=true) is set, which AWX sets for its
    inventory updates; set it wherever an empty inventory would mislead.
author:
  - hybridops maintainers (@hybridops)
options:
  plugin:
    description: The name of this plugin; always V(hybridops.ssm.hybrid_nodes).
    required: true
    type: str
    choices: [hybridops.ssm.hybrid_nodes]
  regions:
    description:
      - The regions to list nodes in; each is listed with its own calls, and every node gets its region in
        the C(region) host variable.
      - Empty (the default) lists only the region given by O(region) (or C(AWS_REGION)). Unlike
        C(amazon.aws.aws_ec2), the plugin does not ask EC2 for every region (no C(ec2:DescribeRegions) call),
        since hybrid nodes live in the few regions their activations were made in.
    type: list
    elements: str
    default: []
  hostnames:
    description:
      - How hosts are named, as a preference list of V(name) (the node's name in SSM, the C(node_name) host
        variable), V(computer_name) (the host name the agent reported), V(ip_address), V(instance_id), or
        V(tag:KEY) (the value of the node's tag KEY; needs O(include_tags=true)).
      - The preferences name the node's fields, as O(filters) does; V(node_name) is refused with a message
        saying to write V(name).
      - A node is named by the first of these that it has and that no other node of this source has (under
        any of the preferences); a name shared by two nodes is used for neither, whatever the order in which
        SSM lists them. A blank value, another node's instance ID, and a name Ansible reserves (C(localhost),
        C(127.0.0.1), C(::1), C(all), C(ungrouped)) are never used either. V(instance_id), unique, is the last
        resort, so no node is ever left out.
      - A node named by its instance ID although it had a value for a preference, or although V(instance_id) is
        not in this list, gets a warning naming the node and saying why.
      - The name is the value exactly as SSM gave it, never rendered as a template.
    type: list
    elements: str
    default: [instance_id]
  include_tags:
    description:
      - Read each node's tags and set them as the C(node_tags) host variable (a dictionary), for
        O(keyed_groups), O(groups), O(compose) (which also see them as C(tags)) and O(hostnames).
      - This costs one C(ssm:ListTagsForResource) call per hybrid node (1,000 nodes cost 1,000 calls on top of
        the 20 listing calls), counted against the account's SSM request rate that every other client of the
        account shares; hence off by default. The tag filters of O(filters) are sent to SSM and need no read.
      - Only C(mi-) nodes get a C(node_tags) variable, since SSM's tag calls refuse every other ID. EKS Connector agents
        (C(eks_c:...)) are listed without one (a V(tag:KEY) hostname passes over them to the next preference),
        and so are EC2 instances (C(i-...)), whose tags belong to EC2.
    type: bool
    default: false
  filters:
    description:
      - Which nodes to list; criteria combine with AND. The same criteria, with the same meaning, parser and
        checks, as the options of M(hybridops.ssm.ssm_managed_instance_info).
      - V(ping_status), V(resource_type), V(activation_ids), V(iam_role), V(platform_type) and V(tags) are
        sent to SSM. SSM does not combine tag filters with other filters, so when V(tags) is given only the
        tag filters are sent and the others are applied to what comes back. V(name), V(computer_name),
        V(last_ping_before), V(registered_before) and V(include_eks_connector_agents) are always applied to
        what comes back.
    type: dict
    default: {}
    suboptions:
      ping_status:
        description: V(Online), V(ConnectionLost) or V(Inactive), or a list of them.
        type: raw
      resource_type:
        description: V(ManagedInstance) (hybrid nodes) or V(EC2Instance); one value, as SSM's filter takes one.
        type: str
      activation_ids:
        description: Only nodes registered with one of these activations (lower-case UUIDs).
        type: list
        elements: str
      iam_role:
        description: Only nodes using this IAM role (a name, not an ARN), or one of a list of roles.
        type: raw
      platform_type:
        description: V(Linux), V(Windows) or V(MacOS), or a list of them.
        type: raw
      tags:
        description:
          - Only nodes carrying every one of these tags; a value may be a list of up to 5 values, any of
            which matches.
        type: dict
      name:
        description: Only nodes whose SSM name matches this shell-style pattern (C(*), C(?), C([...])).
        type: str
      computer_name:
        description: Only nodes whose host name matches this shell-style pattern.
        type: str
      last_ping_before:
        description:
          - Only nodes whose agent last reached SSM before this time, an age counted back from now
            (V(40d), V(12h), V(90m), V(45s), V(2w)) or an ISO 8601 time (V(2026-10-01T00:00:00Z)).
        type: str
      registered_before:
        description: Only nodes registered before this time; the same forms as V(last_ping_before).
        type: str
      include_eks_connector_agents:
        description:
          - V(false) leaves EKS Connector agents (C(eks_c:) IDs) out, whatever else matches; they register
            like hybrid nodes (resource type C(ManagedInstance)) and belong to a cluster connected to Amazon
            EKS. Not given (or V(true)), every node SSM lists is kept.
        type: bool
  hostvars_prefix:
    description:
      - Put in front of every host variable's name from SSM (C(instance_id) becomes C(aws_instance_id), and
        the node's name C(aws_name), with V(aws_)). Letters, digits and underscores, not starting with a digit.
      - The decommission role reads C(instance_id) and C(region); with a prefix or suffix, map them back
        through O(compose) (see the examples).
    type: str
    default: ""
  hostvars_suffix:
    description: Put after every host variable's name from SSM. Letters, digits and underscores.
    type: str
    default: ""
notes:
  - >-
    Every value from SSM is marked unsafe and never templated, in host names, host variables, and the
    expressions of O(compose), O(groups) and O(keyed_groups) alike (also when read from the cache): a node
    reports its own computer name, IP address and platform, and whoever may tag it sets its name and tags,
    so a value holding Jinja (C({{ ... }}), C({% ... %})) stays that text; O(compose) of
    C(ansible_host: ip_address) gives the address as SSM has it. This is so on every supported ansible-core,
    including 2.17 and 2.18, which would otherwise render such a value on the controller.
  - IAM actions needed - C(ssm:DescribeInstanceInformation); with O(include_tags=true) also
    C(ssm:ListTagsForResource); with O(assume_role_arn) also C(sts:AssumeRole). With O(accounts), the identity the
    plugin starts from needs only C(sts:AssumeRole) on the listed roles (for example
    C(arn:aws:iam::*:role/ssm-inventory-reader)), and each role needs the SSM actions in its own account and a trust
    policy that names that identity's account (and C(sts:ExternalId) where one is given).
  - With O(cache=true), a run within O(cache_timeout) of the last one reads the nodes from the cache and
    makes no request; C(--flush-cache) refreshes it. The cache holds the nodes, not the groups; O(hostnames),
    O(keyed_groups), O(groups) and O(compose) are applied afresh on every run.
  - C(AWS_SECURITY_TOKEN), with which AWX passes temporary credentials, is honoured as the session token
    when neither O(session_token) nor C(AWS_SESSION_TOKEN) is set.
extends_documentation_fragment:
  - inventory_cache
  - constructed
  - amazon.aws.boto3
  - amazon.aws.common.plugins
  - amazon.aws.region.plugins
  - amazon.aws.assume_role.plugins
  - hybridops.ssm.hybrid_nodes_accounts
"""

EXAMPLES = r"""
# lost_nodes.hybrid_nodes.yml - hybrid nodes that lost their connection more than 60 days ago, in two regions,
# grouped by ping status and by their "site" tag:
#   ansible-inventory -i lost_nodes.hybrid_nodes.yml --graph
#   ansible-playbook hybridops.ssm.decommission -i lost_nodes.hybrid_nodes.yml -e decommission_hosts=ping_ConnectionLost
plugin: hybridops.ssm.hybrid_nodes
regions:
  - eu-west-1
  - us-east-1
filters:
  resource_type: ManagedInstance
  ping_status: ConnectionLost
  last_ping_before: 60d
  # EKS Connector agents (eks_c:...) go with their cluster's deregistration from EKS, not the decommission playbook
  include_eks_connector_agents: false
include_tags: true
hostnames:
  - tag:Name
  - computer_name
  - instance_id
keyed_groups:
  - key: ping_status
    prefix: ping
  - key: node_tags.site | default('none')
    prefix: site
  - key: region
    prefix: region
groups:
  linux: platform_type == 'Linux'
compose:
  ansible_host: ip_address
  # a playbook reads the SSM name as node_name
  ssm_label: node_name ~ '@' ~ region

---
# kiosks.hybrid_nodes.yml - every node tagged role=kiosk, host variables prefixed, cached for an hour.
plugin: hybridops.ssm.hybrid_nodes
region: eu-central-1
filters:
  tags:
    role: kiosk
hostvars_prefix: ssm_
compose:
  # the decommission role reads instance_id and region
  instance_id: ssm_instance_id
  region: ssm_region
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: /var/tmp/hybrid_nodes_cache
cache_timeout: 3600

---
# many_accounts.hybrid_nodes.yml - the fleet of three accounts, grouped by account; the play fails at its end when an
# account or region could not be listed:
#   - hosts: localhost
#     tasks:
#       - ansible.builtin.fail:
#           msg: "{{ hybrid_nodes_failures }}"
#         when: hybrid_nodes_failures | default([]) | length > 0
plugin: hybridops.ssm.hybrid_nodes
regions: [eu-west-1, us-east-1]
accounts:
  - role_arn: arn:aws:iam::111111111111:role/ssm-inventory-reader
  - role_arn: arn:aws:iam::222222222222:role/ssm-inventory-reader
    external_id: "{{ lookup('ansible.builtin.env', 'SHOPS_EXTERNAL_ID') }}"
  - role_arn: arn:aws:iam::333333333333:role/ssm-inventory-reader
    regions: [ap-southeast-2]
    session_name: inventory-apac
filters:
  ping_status: ConnectionLost
  last_ping_before: 60d
keyed_groups:
  - key: account_id
    prefix: account
  - key: region
    prefix: region

---
# Temporary credentials through a role, as aws_ec2 does.
plugin: hybridops.ssm.hybrid_nodes
regions: [ap-southeast-2]
assume_role_arn: arn:aws:iam::123456789012:role/ssm-inventory-reader
filters:
  ping_status: [Online, ConnectionLost]
  platform_type: Linux
  name: "edge-*"
"""

import os

from ansible import constants as C
from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin
from ansible_collections.amazon.aws.plugins.plugin_utils.inventory import AWSInventoryBase

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.credentials import security_token_fallback
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import AnsibleSSMError
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import SSMValidationError
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.managed_instances import node_to_ansible
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.node_tags import read_node_tags
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.pacing import attach as attach_pacer
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.selection import select_nodes
from ansible_collections.hybridops.ssm.plugins.plugin_utils.hybrid_nodes import check_config
from ansible_collections.hybridops.ssm.plugins.plugin_utils.hybrid_nodes import choose_hostnames
from ansible_collections.hybridops.ssm.plugins.plugin_utils.hybrid_nodes import host_variables
from ansible_collections.hybridops.ssm.plugins.plugin_utils.hybrid_nodes import untrusted
from ansible_collections.hybridops.ssm.plugins.plugin_utils.hybrid_nodes_accounts import FAILURES_VARIABLE
from ansible_collections.hybridops.ssm.plugins.plugin_utils.hybrid_nodes_accounts import assume
from ansible_collections.hybridops.ssm.plugins.plugin_utils.hybrid_nodes_accounts import list_accounts
from ansible_collections.hybridops.ssm.plugins.plugin_utils.hybrid_nodes_accounts import warning

# The shape of what the cache holds; a cache written in another shape is read as no cache.
CACHE_FORMAT = 1


class InventoryModule(AWSInventoryBase):
    NAME = "hybridops.ssm.hybrid_nodes"
    INVENTORY_FILE_SUFFIXES = ("hybrid_nodes.yml", "hybrid_nodes.yaml")

    def __init__(self):
        super().__init__()
        self._settings = None

    def _do_fail(self, message):
        raise AnsibleParserError(message)

    def get_option(self, option, hostvars=None):
        # amazon.aws's base templates every list and dict option with a keyword that ansible-core 2.19
        # deprecates (one warning per run); template the two this plugin templates with the plain call.
        if option not in ("regions", "filters", "accounts"):
            return super().get_option(option, hostvars)
        value = BaseInventoryPlugin.get_option(self, option, hostvars)
        return self.templar.template(value) if value and self.templar else value

    def _read_config_data(self, path):
        # Checked here, before AWSInventoryBase.parse assumes a role (an STS call) and before any SSM call.
        config = super()._read_config_data(path)
        options = {name: self.get_option(name) for name in self._options}
        known = set(options)
        for definition in C.config.get_configuration_definitions("inventory", self._load_name).values():
            known.update(definition.get("aliases") or [])
        try:
            self._settings = check_config(config, options, known)
        except SSMValidationError as error:
            raise AnsibleParserError(f"{path}: {error.message}") from None
        return config

    def client(self, *args, **kwargs):
        # AWX passes temporary credentials' token as AWS_SECURITY_TOKEN, which amazon.aws 10 no longer reads:
        # without it boto3 would sign with the key pair alone and be refused.
        if not self._frozen_credentials:
            params = {name: self.get_option(name) for name in ("access_key", "secret_key", "session_token", "profile")}
            token = security_token_fallback(params, os.environ)
            if token:
                kwargs.setdefault("aws_session_token", token)
        return super().client(*args, **kwargs)

    def _nodes_of_region(self, client, region):
        described = select_nodes(client, self._settings["criteria"])
        nodes = []
        for node in described:
            hostvars = node_to_ansible(node)
            hostvars["region"] = region
            nodes.append(hostvars)
        if self._settings["include_tags"]:
            nodes = self._with_tags(client, region, nodes)
        return nodes

    def _with_tags(self, client, region, nodes):
        read = read_node_tags(client, [n["instance_id"] for n in nodes])
        failure = read.failure(region)
        if failure is not None:
            raise AnsibleParserError(f"hybridops.ssm.hybrid_nodes: {failure.message}")
        gone, kept = set(read.gone), []
        for node in nodes:
            if node["instance_id"] in gone:
                continue  # deregistered between the listing and the tag read: no longer a node
            if node["instance_id"] in read.tags:
                node["tags"] = read.tags[node["instance_id"]]
            kept.append(node)
        return kept

    def _populate(self, nodes):
        settings = self._settings
        strict = self.get_option("strict")
        names, warnings = choose_hostnames(nodes, settings["hostnames"])
        for warning in warnings:
            self.display.warning(warning)
        for node in nodes:
            hostname = names[node["instance_id"]]
            self.inventory.add_host(hostname)
            hostvars = host_variables(node, settings["hostvars_prefix"], settings["hostvars_suffix"])
            for name, value in hostvars.items():
                self.inventory.set_variable(hostname, name, value)
            # As amazon.aws.aws_rds: the constructed features see the variables under both names, the field's own
            # and its host variable's, so an expression reads name and tags as well as node_name and node_tags.
            constructed = dict(node, **hostvars)
            self._set_composite_vars(self.get_option("compose"), constructed, hostname, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), constructed, hostname, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), constructed, hostname, strict=strict)

    def _nodes(self):
        nodes = []
        for region in self._settings["regions"]:
            try:
                listed = self._nodes_of_region(self.client("ssm", region=region), region)
            except AnsibleSSMError as error:
                raise AnsibleParserError(f"hybridops.ssm.hybrid_nodes: listing the managed nodes of {region} failed: {error}") from None
            nodes.extend(sorted(listed, key=lambda n: n["instance_id"]))
        return nodes

    def _nodes_of_accounts(self):
        accounts = self._settings["accounts"]
        # Clients are made here, one thread, as boto3 sessions are not thread-safe; the calls then run in threads.
        sts = {account["account_id"]: self.client("sts", region=self.region or account["regions"][0]) for account in accounts}

        def assume_account(account):
            return assume(sts[account["account_id"]], account)

        def client_for(account, credentials, region):
            del account
            client = self.client("ssm", region=region, **credentials)
            attach_pacer(client)  # each account-region its own pace: its own rate limit
            return client

        return list_accounts(accounts, assume_account, client_for, self._nodes_of_region)

    def _report_failures(self, failures):
        if failures and self._settings["fail_on_account_errors"]:
            raise AnsibleParserError("; ".join(warning(entry) for entry in failures))
        for entry in failures:
            self.display.warning(warning(entry))
        # Error texts come from AWS and name roles: as untrusted as the nodes.
        self.inventory.set_variable("all", FAILURES_VARIABLE, untrusted(failures))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache=cache)
        found, cached = self.get_cached_result(path, cache)
        nodes = cached.get("nodes") if found and isinstance(cached, dict) and cached.get("format") == CACHE_FORMAT else None
        failures = []
        if nodes is None:
            nodes, failures = self._nodes_of_accounts() if self._settings["accounts"] else (self._nodes(), [])
            if not failures:
                # False: this result was fetched now, so it replaces whatever the cache held.
                self.update_cached_result(path, False, {"format": CACHE_FORMAT, "nodes": nodes})
        if self._settings["accounts"]:
            self._report_failures(failures)
        # Fresh or cached, the nodes reach the inventory only marked unsafe: their values are never templated.
        self._populate(untrusted(nodes))
