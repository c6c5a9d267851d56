"""The fine-tuning recipe on the tiny model: split, labels, order, checkpoints, resume, result."""
import dataclasses
import json

import pytest

from qa_helpers import finetune as ft
from qa_helpers.models.repro import adapter_sha256
from qa_helpers.xquad import load_xquad
from studies.training import split_scorer


@pytest.fixture(scope="module")
def tokenizer(tiny):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny.transformers)


def smoke_config(tiny, **changes) -> ft.TrainConfig:
    config = ft.TrainConfig(
        base=tiny.transformers, languages=("en", "zh", "ar"), limit_per_language=4, batch_size=4,
        checkpoint_minutes=0, lora_r=4, lora_alpha=8,
    )
    return dataclasses.replace(config, **changes)


def test_split_is_by_article_and_the_same_in_every_language():
    for lang in ("en", "th"):
        train, heldout = load_xquad(lang, split="train"), load_xquad(lang, split="heldout")
        assert {ex.article for ex in train} == set(range(40)) and {ex.article for ex in heldout} == set(range(40, 48))
        assert len(train) + len(heldout) == len(load_xquad(lang)) == 1190
    assert [ex.id for ex in load_xquad("en", split="heldout")] == [ex.id for ex in load_xquad("hi", split="heldout")]
    with pytest.raises(ValueError, match="split must be one of"):
        load_xquad("en", split="test")


def test_the_recipe_slice_cuts_the_training_articles_in_two_and_never_touches_the_held_out_ones():
    fit, dev = load_xquad("de", split="fit"), load_xquad("de", split="dev")
    assert {ex.article for ex in fit} == set(range(36)) and {ex.article for ex in dev} == set(range(36, 40))
    assert sorted(ex.id for ex in fit + dev) == sorted(ex.id for ex in load_xquad("de", split="train"))
    assert ft.scored_split(ft.TrainConfig(split="fit")) == "dev" and ft.scored_split(ft.TrainConfig()) == "heldout"


@pytest.mark.parametrize("lang", ["en", "zh", "ar", "th"])
def test_labels_point_at_the_answer_or_at_cls(tokenizer, lang):
    for example in load_xquad(lang, 40, split="train"):
        windows = ft.label_windows(tokenizer, example, 256, 64)  # short windows: many without the answer
        enc = ft.encode(tokenizer, example.question, example.context, 256, 64)
        assert len(windows) == len(enc.input_ids) and any(w.start > 0 for w in windows)
        for w, offsets, seq in zip(windows, enc.offsets, enc.sequence_ids):
            if w.start == 0:
                assert w.end == 0
                continue
            assert seq[w.start] == seq[w.end] == 1 and w.start <= w.end
            covered = example.context[offsets[w.start][0] : offsets[w.end][1]]
            assert example.answers[0] in covered and len(covered) < len(example.answers[0]) + 4


def test_batch_order_is_fixed_by_the_seed_and_covers_every_window_once_per_epoch(tiny, tokenizer):
    config = smoke_config(tiny, epochs=2.0)
    windows = ft.training_windows(tokenizer, config)
    order = ft.batch_order(windows, config)
    assert order == ft.batch_order(windows, config)
    assert order != ft.batch_order(windows, dataclasses.replace(config, seed=1))
    per_epoch = -(-len(windows) // config.batch_size)
    assert sorted(i for batch in order[:per_epoch] for i in batch) == list(range(len(windows)))
    assert len(order) == -(-2 * len(windows) // config.batch_size)


@pytest.mark.slow
def test_a_stopped_run_resumes_to_the_same_weights_and_writes_adapter_and_record(tiny, tmp_path):
    from safetensors.numpy import load_file

    config = smoke_config(tiny)
    straight = ft.finetune(config, tmp_path / "straight", progress=False)
    assert straight["steps"] == straight["of_steps"] > 3
    stopped = ft.finetune(dataclasses.replace(config, max_steps=3), tmp_path / "run", progress=False)
    assert stopped == {**stopped, "steps": 3, "finished": False}
    assert (tmp_path / "run" / "checkpoint" / "state.json").exists() and not (tmp_path / "run" / "adapter").exists()
    with pytest.raises(ft.FinetuneError, match="already holds a training run; pass --resume"):
        ft.finetune(config, tmp_path / "run", progress=False)
    with pytest.raises(ft.FinetuneError, match="made with other data or settings"):
        ft.finetune(dataclasses.replace(config, learning_rate=1e-3), tmp_path / "run", resume=True, progress=False)
    record = ft.finetune(config, tmp_path / "run", resume=True, progress=False)
    assert record["steps"] == straight["steps"] and record["split"]["heldout"] == [40, 48]
    assert record["training_questions"] == 12  # 4 per language, never a held-out one
    a = load_file(tmp_path / "straight" / "adapter" / "adapter_model.safetensors")
    b = load_file(tmp_path / "run" / "adapter" / "adapter_model.safetensors")
    assert a.keys() == b.keys() and all(abs(a[k] - b[k]).max() < 1e-5 for k in a)
    assert (tmp_path / "run" / "loss.png").exists() and not (tmp_path / "run" / "checkpoint").exists()
    assert len((tmp_path / "run" / "loss.csv").read_text().splitlines()) == record["steps"] + 1
    assert json.loads((tmp_path / "run" / "record.json").read_text())["steps"] == record["steps"]
    adapter_config = json.loads((tmp_path / "run" / "adapter" / "adapter_config.json").read_text())
    assert adapter_config["base_model_name_or_path"] == config.base  # not a path of the machine that trained it


@pytest.mark.slow
def test_a_checkpoint_cut_off_while_being_written_is_not_trusted(tiny, tmp_path):
    config = smoke_config(tiny, max_steps=2)
    ft.finetune(config, tmp_path, progress=False)
    (tmp_path / "checkpoint").rename(tmp_path / "checkpoint.old")  # stopped between the two renames
    (tmp_path / "checkpoint.partial").mkdir()  # and a half-written new one
    assert ft._load_checkpoint(tmp_path) == tmp_path / "checkpoint.old"
    record = ft.finetune(dataclasses.replace(config, max_steps=3), tmp_path, resume=True, progress=False)
    assert record["steps"] == 3
    (tmp_path / "checkpoint" / "state.json").unlink()
    (tmp_path / "checkpoint.old").mkdir()
    assert ft._load_checkpoint(tmp_path) is None


@pytest.mark.slow
def test_held_out_scores_cover_every_language_and_both_normalisations(tiny, tmp_path):
    config = smoke_config(tiny, languages=("en", "zh"))
    assert "heldout" not in ft.finetune(config, tmp_path / "unscored", progress=False)  # no scorer, no scores
    with pytest.raises(ft.FinetuneError, match="needs a scorer"):
        ft.finetune(config, tmp_path / "curve", progress=False, curve_every=0.5)
    record = ft.finetune(config, tmp_path / "scored", progress=False, scorer=split_scorer(config))
    assert set(record["heldout"]) == {"en", "zh", "mean"}
    assert set(record["heldout"]["en"]) == {"squad_em", "squad_f1", "multilingual_em", "multilingual_f1"}
    assert all(0 <= v <= 100 for scores in record["heldout"].values() for v in scores.values())


def test_training_forward_sees_the_segment_ids(tiny):
    """peft's question-answering wrapper drops token_type_ids; the recipe must not use it."""
    import torch

    model, _ = ft.build_model(smoke_config(tiny))
    model.eval()
    ids = torch.tensor([[2, 10, 11, 3, 12, 13, 14, 3]])
    types = torch.tensor([[0, 0, 0, 0, 1, 1, 1, 1]])
    with torch.no_grad():
        with_types = model(input_ids=ids, token_type_ids=types).start_logits
        without = model(input_ids=ids, token_type_ids=torch.zeros_like(types)).start_logits
    assert (with_types - without).abs().max() > 1e-3


@pytest.mark.slow
def test_a_recipe_run_scores_its_learning_curve_on_dev_and_names_its_adapter(tiny, tmp_path):
    config = smoke_config(tiny, languages=("en", "zh"), split="fit", epochs=2.0)
    record = ft.finetune(config, tmp_path, progress=False, scorer=split_scorer(config), curve_every=1.0)
    assert "heldout" not in record and set(record["dev"]) == {"en", "zh", "mean"}
    assert [point["epoch"] for point in record["curve"]] == [1.0, 2.0]
    assert all(set(point["dev"]) == {"en", "zh", "mean"} for point in record["curve"])
    assert record["curve"][-1]["dev"] == record["dev"]  # the last point is the finished model
    assert record["adapter_sha256"] == adapter_sha256(tmp_path / "adapter") and len(record["adapter_sha256"]) == 64


@pytest.mark.slow
def test_a_warm_start_begins_from_the_adapter_it_names_and_refuses_one_of_another_shape(tiny, tmp_path):
    import torch
    from peft import get_peft_model_state_dict

    first = smoke_config(tiny, languages=("en",), max_steps=None)
    ft.finetune(first, tmp_path / "first", progress=False)
    warm, _ = ft.build_model(dataclasses.replace(first, warm_start=str(tmp_path / "first" / "adapter")))
    cold, _ = ft.build_model(first)
    warm_weights, cold_weights = get_peft_model_state_dict(warm), get_peft_model_state_dict(cold)
    lora_b = next(k for k in warm_weights if "lora_B" in k)
    assert torch.count_nonzero(cold_weights[lora_b]) == 0 and torch.count_nonzero(warm_weights[lora_b]) > 0
    with pytest.raises(ft.FinetuneError, match="does not fit this run's LoRA settings"):
        ft.build_model(dataclasses.replace(first, lora_r=8, lora_alpha=16, warm_start=str(tmp_path / "first" / "adapter")))
