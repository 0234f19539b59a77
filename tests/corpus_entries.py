"""A labelled run of the real-world corpus's manifest format, for tests that build a batch of their own."""


def run_entry(name: str, label: str, kinds: list, split: str, **extra) -> dict:
    """`someone/repo`'s run `runs/NAME`, labelled; a pathology's kinds flagged at steps 25-39."""
    entry = {
        "id": "someone__repo/runs/" + name,
        "repo": "someone/repo",
        "path": "runs/" + name,
        "writer": "tensorboardx",
        "domain": "regression",
        "label": label,
        "kinds": kinds,
        "steps": [25, 39] if kinds else None,
        "reason": "written by this test",
        "split": split,
    }
    entry.update(extra)
    return entry
