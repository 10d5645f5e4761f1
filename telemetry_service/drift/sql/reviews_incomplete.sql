-- How many scored reviews in the range lack their tier or requested model.
SELECT count() AS incomplete
FROM seat_reviews
WHERE event_time >= fromUnixTimestamp64Micro({from_us:Int64}, 'UTC')
  AND event_time < fromUnixTimestamp64Micro({until_us:Int64}, 'UTC')
  AND score IS NOT NULL
  AND (tier = '' OR requested_model = '')
  AND generation_id != ''
