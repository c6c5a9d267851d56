"""The public API's contracts: argument checks, and batches that never lose or reorder rows."""
import pytest

import qa_helpers as qa

CARD = qa.model_card_examples()


@pytest.mark.parametrize("engine", ["transformers", "spark"])
def test_batch_keeps_row_count_and_order_and_marks_bad_rows(tiny, engine, request):
    if engine == "spark":
        request.getfixturevalue("spark")
    good = [(ex.question, ex.context) for ex in CARD]
    rows = [good[0], (None, "context"), good[1], ("only one",), (3, 4), good[0]]
    out = qa.answer_batch(rows, engine=engine, model=tiny)
    assert len(out) == len(rows)
    assert [r.ok for r in out] == [True, False, True, False, False, True]
    assert "question must be a str" in out[1].error and "row 3" in out[3].error
    assert out[0].answers == out[5].answers  # same input, same answer, wherever it sits
    single = qa.answer(*good[1], engine=engine, model=tiny)
    assert out[2].answers == single


def test_bad_arguments_name_the_problem(tiny):
    q, c = CARD[0].question, CARD[0].context
    with pytest.raises(ValueError, match="engine must be one of"):
        qa.answer(q, c, engine="tf")
    with pytest.raises(ValueError, match="top_k=1 with engine='spark'"):
        qa.answer(q, c, engine="spark", top_k=3)
    with pytest.raises(TypeError, match="context must be a str"):
        qa.answer(q, None, model=tiny)
    with pytest.raises(ValueError, match="at least 1"):
        qa.answer(q, c, model=tiny, max_answer_len=0)


def test_cli_prints_the_active_model_and_answers(tiny, capsys):
    from qa_helpers.__main__ import main

    assert main(["--model", "tiny", "ask", CARD[0].question, CARD[0].context, "--top-k", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Active model -> tiny") and len(out) == 3


@pytest.mark.parametrize("program", ["evaluate", "calibrate", "no-answer", "finetune", "bench", "int8-profile", "cluster",
                                     "decoding-reference"])
def test_the_studies_command_line_hands_each_study_its_own_arguments(program, capsys):
    from studies.__main__ import main

    with pytest.raises(SystemExit) as done:
        main([program, "--help"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith(f"usage: python -m studies {program}")


def test_the_studies_command_line_lists_them_and_refuses_an_unknown_one(capsys):
    from studies.__main__ import main

    assert main([]) == 0 and "no-answer" in capsys.readouterr().out
    assert main(["evaluation"]) == 2 and "evaluate" in capsys.readouterr().out
