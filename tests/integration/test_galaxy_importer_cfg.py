"""tools/galaxy-importer.cfg: the options galaxy-importer reads, by their real names, with Automation Hub's checks on."""

from conftest import ROOT


def test_importer_config_turns_on_automation_hubs_checks_by_their_real_names(monkeypatch):
    from galaxy_importer import config  # pylint: disable=import-outside-toplevel  # only the importer check needs it

    monkeypatch.setenv("GALAXY_IMPORTER_CONFIG", str(ROOT / "tools" / "galaxy-importer.cfg"))
    monkeypatch.setattr(config, "FILE_LOCATIONS", list(config.FILE_LOCATIONS))  # load() inserts into it
    data = config.ConfigFile.load()
    unknown = sorted(set(data) - set(config.Config.DEFAULTS))
    assert not unknown, f"options galaxy-importer does not know (ignored silently): {unknown}"
    cfg = config.Config(config_data=data)
    assert cfg.require_v1_or_greater is True
    assert cfg.check_required_tags is True
    assert cfg.run_ansible_lint is True and cfg.check_changelog is True
