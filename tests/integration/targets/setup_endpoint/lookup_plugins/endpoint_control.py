# Copyright: Contributors to the hybridops.ssm collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Call the local SSM endpoint's control API (or its SSM API) from the controller, without a module.

The targets set scenes and read the request log dozens of times; ansible.builtin.uri starts a module
process for each call, a lookup runs in the controller.
"""

DOCUMENTATION = r"""
name: endpoint_control
short_description: Call the local SSM endpoint used by the integration targets
description:
  - Sends one HTTP request to the endpoint and returns its JSON answer (an empty dict when there is none).
  - Fails on any answer but 2xx, naming the method, path, status and body.
options:
  _terms:
    description: The method, then the path under the endpoint (C(/_hybridops/log)).
    required: true
  url:
    description: The endpoint's base URL.
    type: str
    required: true
  body:
    description: A JSON body.
    type: raw
  headers:
    description: Extra request headers.
    type: dict
    default: {}
"""

RETURN = r"""
_raw:
  description: The JSON answer.
  type: list
  elements: raw
"""

import json
import urllib.error
import urllib.request

from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        method, path = terms
        body = self.get_option("body")
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"Content-Type": "application/json", **(self.get_option("headers") or {})}
        request = urllib.request.Request(self.get_option("url").rstrip("/") + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310  only the local test endpoint
                text = answer.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            raise AnsibleError(f"{method} {path}: HTTP {error.code}: {error.read().decode('utf-8', 'replace')[:2000]}") from error
        except OSError as error:
            raise AnsibleError(f"{method} {path}: {error}") from error
        return [json.loads(text) if text.strip() else {}]
