# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # The hybrid_nodes inventory's options for many accounts (plugin_utils/hybrid_nodes_accounts.py), kept apart
    # from the plugin's own documentation so that the plugin's file stays readable.
    DOCUMENTATION = r"""
options:
  accounts:
    description:
      - List nodes in many AWS accounts - one entry per account (by the account ID its role ARN names), each a role to assume there. Cannot be combined
        with O(assume_role_arn).
      - Each account is assumed once per run (one C(sts:AssumeRole) call, with the credentials of this plugin's
        connection options), and its temporary credentials serve all its regions. Accounts and regions are
        listed side by side (at most 8 account-regions at a time), each account-region with its own client and
        pace, since SSM's rate limits are per account and region; within one account-region the calls keep to its pace.
      - Every host gets the C(account_id) host variable (the account its node is in) besides C(region), so
        O(keyed_groups) can group by account (see the examples).
      - An account that cannot be assumed (C(AccessDenied) - no such role, a trust policy that does not name the
        caller, a wrong external ID) or a region that fails (an opt-in region the account has not enabled answers
        C(UnrecognizedClientException), throttling after every retry, a denied permission) does not stop the others.
        Each failure is a warning naming the account ID, the role ARN, the region and the reason, and an entry of
        the C(hybrid_nodes_failures) variable of group C(all) (a list of C(account_id), C(role_arn), C(region) -
        null when the AssumeRole failed - and C(error)), so a play can fail at its end when the list is not empty.
        With O(fail_on_account_errors=true) any failure fails the whole source instead.
      - A run in which an account or region failed is not written to the cache, so the next run asks again.
    type: list
    elements: dict
    default: []
    suboptions:
      role_arn:
        description: The IAM role to assume in the account (V(arn:aws:iam::ACCOUNT:role/NAME)); its account is the host variable C(account_id).
        type: str
        required: true
      external_id:
        description:
          - The external ID the role's trust policy requires (C(sts:ExternalId)), 2 to 1224 of letters, digits and V(+=,.@:/-_).
          - Never shown - not in warnings, host variables, C(hybrid_nodes_failures), the cache, nor in the message of a
            bad value (which gives only its length). AWS does not count it a secret, but many owners use it as one.
        type: str
      session_name:
        description: The role session name (2 to 64 of letters, digits and V(+=,.@-_)), as CloudTrail shows it in the account.
        type: str
        default: hybridops-ssm-hybrid-nodes
      regions:
        description: The regions to list in this account; default O(regions) (or O(region)).
        type: list
        elements: str
  fail_on_account_errors:
    description:
      - With O(accounts), V(true) fails the whole source when any account or region fails, instead of warning and
        listing the others.
      - V(false) (the default) suits a playbook run, which goes on with the accounts that answered and can fail at
        its end on C(hybrid_nodes_failures). An AWX / AAP inventory source whose sync must not succeed with a part of
        the fleet missing wants V(true) (with C(ANSIBLE_INVENTORY_UNPARSED_FAILED=true), as AWX sets) - a sync that
        succeeds shows no warning on the inventory's page, and an overwriting sync removes the missing account's hosts.
    type: bool
    default: false
"""
