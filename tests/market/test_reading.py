"""`TreeReading`: the rows of each file group in order, every image once, and memory bounded by `AHEAD`
batches handed to the workers however large the tree."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from cvpair import protocol
from cvpair.market import reading
from cvpair.market.reading import TreeReading, list_tree
from cvpair.synth.market_tree import SMALL, write_market_tree


@pytest.fixture(scope="module")
def listed(tmp_path_factory):
    return list_tree(write_market_tree(tmp_path_factory.mktemp("market") / "CVPair", SMALL, seed=0))


class CountingPool(ThreadPoolExecutor):
    """A real thread pool that remembers the most batches of rows it ever held at once (handed to it, and
    not yet asked for)."""

    def __init__(self) -> None:
        super().__init__(2)
        self.held = self.most_held = 0
        self._lock = threading.Lock()

    def submit(self, function, *args, **kwargs):
        future = super().submit(function, *args, **kwargs)
        if function is reading.read_batch:
            with self._lock:
                self.held += 1
                self.most_held = max(self.most_held, self.held)
            ask = future.result

            def asked():
                with self._lock:
                    self.held -= 1
                return ask()

            future.result = asked
        return future


def test_each_file_group_gives_its_images_once_sorted_by_image_id(listed):
    reading_ = TreeReading(listed)
    rows = {name: [i for t in reading_.rows(name) for i in t.column("image_id").to_pylist()]
            for name in protocol.FILE_GROUP_NAMES}  # fmt: skip
    tree = reading_.finish()
    expected = {name: [i.image_id for i in images] for name, images in listed.file_groups().items()}
    assert rows == expected
    assert all(ids == sorted(ids) for ids in rows.values())
    assert sum(map(len, rows.values())) == len(tree.facts) == sum(map(len, listed.images.values()))
    assert not tree.problems


def test_asking_for_a_later_group_first_is_refused(listed):
    later = protocol.FILE_GROUP_NAMES[1]
    with pytest.raises(ValueError, match=f"the rows of {later} asked for before those of train"):
        next(TreeReading(listed).rows(later))


def test_no_more_than_ahead_batches_wait_in_the_pool(listed, monkeypatch):
    monkeypatch.setattr(reading, "BATCH", 4)  # many small batches: more than AHEAD of them
    monkeypatch.setattr(reading, "AHEAD", 3)
    with CountingPool() as pool:
        reading_ = TreeReading(listed, pool)
        written = sum(t.num_rows for name in protocol.FILE_GROUP_NAMES for t in reading_.rows(name))
        reading_.finish()
    assert written == sum(map(len, listed.images.values())) > 4 * 3
    assert pool.most_held == 3 + 1  # the batch being written, and AHEAD more
