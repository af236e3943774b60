"""The benchmark harness: sweeps over instances x seeds x method variants, the paper's tables, baselines.

Workflow::

    zerohsi bench --suite anyinteraction --seeds 5 --preset paper --ablation wo_opt_body,wo_opt_all --out runs/b
    zerohsi bench export-inputs runs/b --out runs/baseline_inputs      # ZeroHSI's trajectories for the baselines
    zerohsi bench import-baseline lingo out.pkl --instance NAME --seed 0 --out runs/b   # score a baseline's output
    zerohsi bench tables runs/b                                         # Tables 1, 2, 4 beside the paper's rows

Python: :func:`zerohsi.bench.harness.run_bench`, :func:`zerohsi.bench.baselines.scoring.score_baseline`,
:func:`zerohsi.bench.baselines.export.export_inputs`, :func:`zerohsi.bench.tables.build_tables`.
"""
