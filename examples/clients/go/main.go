// Command router-client calls llmcouncil.router.v1.RouterService with stubs
// generated from the repository's protos (see generate.sh).
//
//	router-client ADDR route  [MODEL]   one RouteSeat call, prints the answer's fields
//	router-client ADDR stream [MODEL]   one StreamSeat call, prints each delta then the summary
//	router-client ADDR error            a request with an empty model, prints the rich error
//
// Output is one `key=value` line per field; text values are JSON strings. On an
// RPC error the command prints code, message and the google.rpc details and
// exits 2 (the `error` command exits 0 when the call failed, 1 when it did not).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"time"

	routerv1 "github.com/llmcouncil/pareto-router/gen/go/llmcouncil/router/v1"
	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

const (
	defaultModel = "openrouter/pareto-code"
	// callTimeout bounds each RPC; the router's own upstream timeouts are shorter.
	callTimeout = 60 * time.Second
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) < 2 || len(args) > 3 {
		fmt.Fprintln(stderr, "usage: router-client ADDR route|stream|error [MODEL]")
		return 64
	}
	addr, command := args[0], args[1]
	model := defaultModel
	if len(args) == 3 {
		model = args[2]
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Fprintf(stderr, "router-client: cannot dial %s: %v\n", addr, err)
		return 1
	}
	defer conn.Close()
	client := routerv1.NewRouterServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()

	switch command {
	case "route":
		resp, err := client.RouteSeat(ctx, seatRequest(model))
		if err != nil {
			printError(stdout, err)
			return 2
		}
		printResponse(stdout, "", resp)
		return 0
	case "stream":
		if err := streamSeat(ctx, client, model, stdout); err != nil {
			printError(stdout, err)
			return 2
		}
		return 0
	case "error":
		_, err := client.RouteSeat(ctx, seatRequest(""))
		if err == nil {
			fmt.Fprintln(stderr, "router-client: the request with an empty model was accepted")
			return 1
		}
		printError(stdout, err)
		return 0
	default:
		fmt.Fprintf(stderr, "router-client: unknown command %q (route, stream, error)\n", command)
		return 64
	}
}

func seatRequest(model string) *routerv1.RouteSeatRequest {
	return &routerv1.RouteSeatRequest{
		Model:     model,
		Tier:      routerv1.Tier_TIER_BALANCED,
		SeatId:    "example-go",
		SessionId: "example-session-go",
		Messages: []*routerv1.ChatMessage{
			{Role: "user", Content: "Write a Go function that reverses a string."},
		},
	}
}

func streamSeat(ctx context.Context, client routerv1.RouterServiceClient, model string, out io.Writer) error {
	stream, err := client.StreamSeat(ctx, &routerv1.StreamSeatRequest{Seat: seatRequest(model)})
	if err != nil {
		return err
	}
	for {
		event, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch e := event.Event.(type) {
		case *routerv1.StreamSeatResponse_Delta:
			fmt.Fprintf(out, "delta=%s\n", quote(e.Delta))
		case *routerv1.StreamSeatResponse_ReasoningDelta:
			fmt.Fprintf(out, "reasoning_delta=%s\n", quote(e.ReasoningDelta))
		case *routerv1.StreamSeatResponse_Summary:
			printResponse(out, "summary.", e.Summary)
		}
	}
}

func printResponse(out io.Writer, prefix string, r *routerv1.RouteSeatResponse) {
	line := func(key, value string) { fmt.Fprintf(out, "%s%s=%s\n", prefix, key, value) }
	line("requested_model", r.GetRequestedModel())
	line("resolved_model", r.GetResolvedModel())
	line("provider", r.GetProvider())
	line("generation_id", r.GetGenerationId())
	line("tier", r.GetTier().String())
	line("band", r.GetPareto().GetBand().String())
	if r.GetPareto().MinCodingScore != nil {
		line("min_coding_score", strconv.FormatFloat(r.GetPareto().GetMinCodingScore(), 'g', -1, 64))
	}
	line("finish_reason", r.GetFinishReason())
	line("input_tokens", strconv.FormatUint(r.GetUsage().GetInputTokens(), 10))
	line("output_tokens", strconv.FormatUint(r.GetUsage().GetOutputTokens(), 10))
	if r.GetUsage().CostUsd != nil {
		line("cost_usd", strconv.FormatFloat(r.GetUsage().GetCostUsd(), 'g', -1, 64))
	}
	line("attempts", strconv.FormatUint(uint64(r.GetAttempts()), 10))
	line("content", quote(r.GetContent()))
}

// printError decodes the google.rpc.Status details the server attached to the
// error (grpc-status-details-bin) and prints the ones a caller acts on.
func printError(out io.Writer, err error) {
	st := status.Convert(err)
	fmt.Fprintf(out, "code=%s\n", code.Code(st.Code()).String())
	fmt.Fprintf(out, "message=%s\n", quote(st.Message()))
	for _, detail := range st.Details() {
		switch d := detail.(type) {
		case *errdetails.ErrorInfo:
			fmt.Fprintf(out, "error_info.reason=%s\n", d.GetReason())
			fmt.Fprintf(out, "error_info.domain=%s\n", d.GetDomain())
			keys := make([]string, 0, len(d.GetMetadata()))
			for k := range d.GetMetadata() {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				fmt.Fprintf(out, "error_info.metadata.%s=%s\n", k, d.GetMetadata()[k])
			}
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				fmt.Fprintf(out, "field_violation=%s: %s\n", v.GetField(), v.GetDescription())
			}
		case *errdetails.RetryInfo:
			fmt.Fprintf(out, "retry_delay_ms=%d\n", d.GetRetryDelay().AsDuration().Milliseconds())
		case error:
			// A detail whose type is not linked in: report it rather than drop it.
			fmt.Fprintf(out, "detail_error=%s\n", quote(d.Error()))
		default:
			fmt.Fprintf(out, "detail=%T\n", d)
		}
	}
}

func quote(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		return strconv.Quote(s)
	}
	return string(b)
}
