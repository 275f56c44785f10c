"""supervisors.yaml: who may monitor which queues, checked like agents."""

from __future__ import annotations

from ccswitch.config import load_config
from ccswitch.media.monitor import ALL_QUEUES, Supervisor

from .conftest import Tree
from .test_config_errors import problems


def test_the_shipped_supervisor_monitors_sales_and_support(tree: Tree) -> None:
    assert load_config(tree.config_file, env={}).supervisors == {
        "2001": Supervisor("2001", "user/2001", frozenset({"sales", "support"}), name="Supervisor 2001")}


def test_no_file_means_no_supervisors(tree: Tree) -> None:
    (tree.root / "config" / "supervisors.yaml").unlink()
    assert problems(tree) == [] and load_config(tree.config_file, env={}).supervisors == {}


def test_every_queue_with_a_star(tree: Tree) -> None:
    tree.write("config/supervisors.yaml", '"2002": {contact: user/2002, queues: "*"}\n')
    assert load_config(tree.config_file, env={}).supervisors["2002"].queues == frozenset({ALL_QUEUES})


def test_mistakes_name_the_file_and_key(tree: Tree) -> None:
    tree.edit("config/supervisors.yaml", "queues: [sales, support]", "queues: [sales, supprt], pin: 1234")
    assert problems(tree) == [
        "config/supervisors.yaml: 2001.pin: unknown key (known: contact, name, queues)",
        "config/supervisors.yaml: 2001.queues[1]: unknown queue 'supprt' (known: operator, sales, support)",
    ]
    tree.write("config/supervisors.yaml", '"2003": {contact: "user/2003;x", queues: []}\n')
    queues, contact = problems(tree)
    assert queues.startswith("config/supervisors.yaml: 2003.queues: missing: the queues this supervisor may monitor")
    assert contact.startswith("config/supervisors.yaml: 2003.contact: bad endpoint 'user/2003;x'")
