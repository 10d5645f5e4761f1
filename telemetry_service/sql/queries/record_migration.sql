INSERT INTO schema_migrations (version, name, checksum)
VALUES ({version:UInt32}, {name:String}, {checksum:String})
