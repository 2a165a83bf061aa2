# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""SSM's limits that the error advice words as well as the input checks.

They live here, importing nothing, because errors.py sits below constraints.py (checks.py and tag_rules.py
raise SSMValidationError from errors.py): errors.py importing constraints.py would be a cycle.
constraints.py re-exports them, so callers still take every rule from there.
"""

# AddTagsToResource: a resource carries at most 50 tags; more is refused with TooManyTagsError.
TAGS_PER_NODE_MAX = 50
