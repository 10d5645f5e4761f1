module github.com/llmcouncil/pareto-router/examples/clients/go

go 1.26.0

require (
	github.com/llmcouncil/pareto-router/gen/go v0.0.0
	google.golang.org/genproto/googleapis/rpc v0.0.0-20261110000943-09e21b237f2c
	google.golang.org/grpc v1.85.0
)

require (
	golang.org/x/net v0.60.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
	golang.org/x/text v0.42.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

// The stubs are generated into gen/ by generate.sh, as the module the protos'
// go_package names.
replace github.com/llmcouncil/pareto-router/gen/go => ./gen
