with versions as (
    select * from {{ ref('stg_ml__model_versions') }}
),

final as (
    select
        model_version,
        evaluated_model,
        created_at,
        model_kind,
        is_current,
        was_promoted,
        train_start,
        train_end,
        validation_start,
        validation_end,
        validation_rows,
        validation_positives,
        roc_auc,
        pr_auc,
        calibration_error,
        top_decile_mrr_capture,
        (evaluated_model = 'mlp' and model_kind = 'mlp')
        or (evaluated_model = 'baseline' and model_kind = 'logistic') as is_saved_model
    from versions
)

select * from final
