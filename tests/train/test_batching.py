from xstilts.train.batching import StepPlan, chunk, fixed_subset, restricted, shuffled_batch_order


def test_default_order_is_a_pure_function_of_seed_and_epoch():
    order = shuffled_batch_order(50, seed=3)
    assert order(1, 4) == shuffled_batch_order(50, seed=3)(1, 4)
    assert order(0, 4) != order(1, 4)
    assert order(0, 4) != shuffled_batch_order(50, seed=4)(0, 4)
    assert sorted(i for micro in order(0, 4) for i in micro) == list(range(50))
    assert [len(micro) for micro in order(0, 4)] == [4] * 12 + [2]


def test_one_process_gets_whole_groups_of_accumulated_micro_batches():
    plan = StepPlan(lambda epoch, size: chunk(list(range(20)), size), 4, accumulation=2, world_size=1, rank=0)
    steps = list(plan.iterate(epochs=1, start_epoch=0, start_index=0))
    assert [s.micro_batches for s in steps] == [
        [[0, 1, 2, 3], [4, 5, 6, 7]],
        [[8, 9, 10, 11], [12, 13, 14, 15]],
        [[16, 17, 18, 19]],
    ]
    assert [s.global_examples for s in steps] == [8, 8, 4]


def test_processes_split_each_step_and_a_group_too_short_for_all_is_dropped():
    def order(epoch, size):
        return chunk(list(range(18)), size)

    shares = [list(StepPlan(order, 4, accumulation=1, world_size=2, rank=r).iterate(1, 0, 0)) for r in (0, 1)]
    assert [s.micro_batches for s in shares[0]] == [[[0, 1, 2, 3]], [[8, 9, 10, 11]]]
    assert [s.micro_batches for s in shares[1]] == [[[4, 5, 6, 7]], [[12, 13, 14, 15]]]
    assert [s.global_examples for s in shares[0]] == [8, 8]  # examples 16, 17 fit no process pair


def test_iteration_resumes_mid_epoch_and_respects_max_steps():
    plan = StepPlan(shuffled_batch_order(12, seed=0), 2, accumulation=1, world_size=1, rank=0)
    everything = list(plan.iterate(epochs=2, start_epoch=0, start_index=0))
    resumed = list(plan.iterate(epochs=2, start_epoch=0, start_index=4))
    assert resumed == everything[4:]
    assert plan.total_steps(epochs=2, max_steps=None) == 12
    assert plan.total_steps(epochs=2, max_steps=5) == 5


def test_subset_is_fixed_and_restricted_order_keeps_only_it():
    keep = fixed_subset(100, 10)
    assert keep == fixed_subset(100, 10) and len(keep) == 10
    order = restricted(shuffled_batch_order(100, seed=1), keep)
    micro_batches = order(0, 4)
    assert sorted(i for micro in micro_batches for i in micro) == sorted(keep)
    assert [len(micro) for micro in micro_batches] == [4, 4, 2]
