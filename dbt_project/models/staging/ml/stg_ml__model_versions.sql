with source as (
    select * from {{ source('ml', 'model_versions') }}
),

final as (
    select
        model_version,
        created_at,
        model_kind,
        is_current,
        was_promoted,
        train_start,
        train_end,
        validation_start,
        validation_end,
        evaluated_model,
        validation_rows,
        validation_positives,
        roc_auc,
        pr_auc,
        calibration_error,
        top_decile_mrr_capture
    from source
)

select * from final
