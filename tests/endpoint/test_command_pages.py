"""ListCommands / ListCommandInvocations with Filters: short or empty pages with a NextToken (boto3#2643, #3791)."""

DOC = "AWS-RunShellScript"


def commands_with_failures(ssm, control, count=30, failed=(3, 4, 25)):
    """``count`` one-node commands, oldest first; those at the ``failed`` positions end Failed. Returns their IDs."""
    node = control.seed_nodes(1)["instance_ids"]
    ids = [ssm.send_command(InstanceIds=node, DocumentName=DOC)["Command"]["CommandId"] for _unused in range(count)]
    for index in failed:
        control.set_invocation(ids[index], outcome="Failed")
    control.advance(2)  # past the visibility lag
    control.step(2)
    return ids


def pages(ssm, operation, **kwargs):
    """Every page of a listing through its paginator: [(number of items, NextToken given)]."""
    key = "Commands" if operation == "list_commands" else "CommandInvocations"
    return [(len(page[key]), "NextToken" in page) for page in ssm.get_paginator(operation).paginate(**kwargs)], key


def test_filtered_list_commands_pages_are_windows_of_the_unfiltered_list(ssm, control):
    ids = commands_with_failures(ssm, control)
    failed = {ids[i] for i in (3, 4, 25)}
    seen, _key = pages(ssm, "list_commands", Filters=[{"key": "Status", "value": "Failed"}], PaginationConfig={"PageSize": 10})
    # newest first: window 1 holds ids 29..20 (one failure), window 2 19..10 (none), window 3 9..0 (two)
    assert seen == [(1, True), (0, True), (2, False)]
    listed = [c["CommandId"] for p in ssm.get_paginator("list_commands").paginate(Filters=[{"key": "Status", "value": "Failed"}]) for c in p["Commands"]]
    assert set(listed) == failed
    # without Filters a page is full
    assert pages(ssm, "list_commands", PaginationConfig={"PageSize": 10})[0] == [(10, True), (10, True), (10, False)]


def test_filtered_list_command_invocations_can_answer_an_empty_first_page(ssm, control):
    ids = commands_with_failures(ssm, control, count=12, failed=(0,))
    first = ssm.list_command_invocations(Filters=[{"key": "Status", "value": "Failed"}], MaxResults=5)
    assert first["CommandInvocations"] == [] and first["NextToken"]  # an empty page is not the end
    found = [
        i["CommandId"]
        for p in ssm.get_paginator("list_command_invocations").paginate(Filters=[{"key": "Status", "value": "Failed"}])
        for i in p["CommandInvocations"]
    ]
    assert found == [ids[0]]


def test_tidy_gives_full_filtered_pages(ssm, control):
    commands_with_failures(ssm, control)
    control.set_realism(sparse_pages=False)
    seen, _key = pages(ssm, "list_commands", Filters=[{"key": "Status", "value": "Failed"}], PaginationConfig={"PageSize": 2})
    assert seen == [(2, True), (1, False)]
