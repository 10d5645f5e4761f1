-- 10 million (or {rows}) Pareto selections over 30 days and 5 tiers, generated inside the
-- engine. The insert fires the rollup materialised views like the service's own inserts.
-- Per tier the resolved model drifts: quick and balanced switch their top model once,
-- high/reasoning/frontier split 70/30 between two models; 1% of calls fail.
INSERT INTO seat_selections (
    event_time, trace_id, span_id, service_name, session_id, seat_id, tier, requested_model,
    resolved_model, provider, generation_id, pareto_applied, min_coding_score, pareto_band,
    nitro, pool_models, duplicate_of_pool, status, error_type, attempts, latency_ms, ttft_ms,
    streaming, finish_reason, input_tokens, output_tokens, reasoning_tokens, cached_tokens,
    cost_usd, routing_strategy, routing_attempt
)
SELECT
    fromUnixTimestamp64Micro({end_us:Int64} - toInt64(number) * {step_us:Int64}, 'UTC'),
    lower(hex(sipHash128(number))),
    lower(hex(cityHash64(number))),
    'router-service',
    concat('council-', toString(intDiv(number, 5))),
    'pareto',
    arrayElement(['quick', 'balanced', 'high', 'reasoning', 'frontier'], t + 1),
    'openrouter/pareto-code',
    if(failed, '', model),
    if(failed, '', 'Provider'),
    concat('gen-', toString(number)),
    true,
    arrayElement([0.2, 0.5, 0.8, 0.9, NULL], t + 1),
    arrayElement(['low', 'medium', 'high', 'high', 'high'], t + 1),
    false,
    ['anthropic/claude-sonnet-4.5', 'openai/gpt-5', 'google/gemini-2.5-pro'],
    has(['anthropic/claude-sonnet-4.5', 'openai/gpt-5', 'google/gemini-2.5-pro'], model),
    if(failed, 'error', 'ok'),
    if(failed, 'UPSTREAM_UNAVAILABLE', ''),
    1,
    400 + (h % 3000),
    NULL,
    false,
    if(failed, '', 'stop'),
    200 + (h % 4000),
    50 + (h % 2000),
    0,
    0,
    if(failed, NULL, 0.0001 + (h % 500) / 10000.0),
    'pareto',
    1
FROM (
    SELECT
        number,
        number % 5 AS t,
        cityHash64(number, 7) AS h,
        intDiv(number * 30, {rows:UInt64}) AS day_ago,
        (h % 100) = 0 AS failed,
        multiIf(
            t = 0, if(day_ago >= 12, 'qwen/qwen3-coder-flash', 'mistralai/devstral-small'),
            t = 1, if(day_ago >= 20, 'qwen/qwen3-coder', 'moonshotai/kimi-k2'),
            (h % 10) < 7, 'anthropic/claude-sonnet-4.5',
            'openai/gpt-5'
        ) AS model
    FROM numbers({rows:UInt64})
)
