package io.llmcouncil.examples;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.llmcouncil.router.v1.ChatMessage;
import io.llmcouncil.router.v1.RouteSeatRequest;
import io.llmcouncil.router.v1.RouteSeatResponse;
import io.llmcouncil.router.v1.RouterServiceGrpc;
import io.llmcouncil.router.v1.StreamSeatRequest;
import io.llmcouncil.router.v1.StreamSeatResponse;
import io.llmcouncil.router.v1.Tier;
import java.io.PrintStream;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Calls llmcouncil.router.v1.RouterService with stubs generated from the repository's protos.
 *
 * <pre>
 *   java -jar target/router-client.jar ADDR route  [MODEL]   one RouteSeat call
 *   java -jar target/router-client.jar ADDR stream [MODEL]   one StreamSeat call: deltas, then the summary
 *   java -jar target/router-client.jar ADDR error            an empty model, prints the rich error
 * </pre>
 *
 * <p>Output is one {@code key=value} line per field; text values are JSON strings. On an RPC error
 * the command prints code, message and the google.rpc details and exits 2 (the {@code error}
 * command exits 0 when the call failed, 1 when it did not).
 */
public final class RouterClient {
  private static final String DEFAULT_MODEL = "openrouter/pareto-code";
  /** Bounds each RPC; the router's own upstream timeouts are shorter. */
  private static final long CALL_TIMEOUT_SECONDS = 60;

  private RouterClient() {}

  public static void main(String[] args) throws InterruptedException {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) throws InterruptedException {
    if (args.length < 2 || args.length > 3) {
      err.println("usage: router-client ADDR route|stream|error [MODEL]");
      return 64;
    }
    String addr = args[0];
    String command = args[1];
    String model = args.length == 3 ? args[2] : DEFAULT_MODEL;
    ManagedChannel channel =
        Grpc.newChannelBuilder(addr, InsecureChannelCredentials.create()).build();
    try {
      RouterServiceGrpc.RouterServiceBlockingStub stub =
          RouterServiceGrpc.newBlockingStub(channel)
              .withDeadlineAfter(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      switch (command) {
        case "route":
          try {
            printResponse(out, "", stub.routeSeat(seatRequest(model)));
            return 0;
          } catch (StatusRuntimeException e) {
            printError(out, e);
            return 2;
          }
        case "stream":
          try {
            streamSeat(stub, model, out);
            return 0;
          } catch (StatusRuntimeException e) {
            printError(out, e);
            return 2;
          }
        case "error":
          try {
            stub.routeSeat(seatRequest(""));
            err.println("router-client: the request with an empty model was accepted");
            return 1;
          } catch (StatusRuntimeException e) {
            printError(out, e);
            return 0;
          }
        default:
          err.println("router-client: unknown command \"" + command + "\" (route, stream, error)");
          return 64;
      }
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  static RouteSeatRequest seatRequest(String model) {
    return RouteSeatRequest.newBuilder()
        .setModel(model)
        .setTier(Tier.TIER_BALANCED)
        .setSeatId("example-java")
        .setSessionId("example-session-java")
        .addMessages(
            ChatMessage.newBuilder()
                .setRole("user")
                .setContent("Write a Java method that reverses a string."))
        .build();
  }

  static void streamSeat(RouterServiceGrpc.RouterServiceBlockingStub stub, String model, PrintStream out) {
    Iterator<StreamSeatResponse> events =
        stub.streamSeat(StreamSeatRequest.newBuilder().setSeat(seatRequest(model)).build());
    while (events.hasNext()) {
      StreamSeatResponse event = events.next();
      switch (event.getEventCase()) {
        case DELTA:
          out.println("delta=" + quote(event.getDelta()));
          break;
        case REASONING_DELTA:
          out.println("reasoning_delta=" + quote(event.getReasoningDelta()));
          break;
        case SUMMARY:
          printResponse(out, "summary.", event.getSummary());
          break;
        default:
          break;
      }
    }
  }

  static void printResponse(PrintStream out, String prefix, RouteSeatResponse r) {
    out.println(prefix + "requested_model=" + r.getRequestedModel());
    out.println(prefix + "resolved_model=" + r.getResolvedModel());
    out.println(prefix + "provider=" + r.getProvider());
    out.println(prefix + "generation_id=" + r.getGenerationId());
    out.println(prefix + "tier=" + r.getTier().name());
    out.println(prefix + "band=" + r.getPareto().getBand().name());
    if (r.getPareto().hasMinCodingScore()) {
      out.println(prefix + "min_coding_score=" + r.getPareto().getMinCodingScore());
    }
    out.println(prefix + "finish_reason=" + r.getFinishReason());
    out.println(prefix + "input_tokens=" + Long.toUnsignedString(r.getUsage().getInputTokens()));
    out.println(prefix + "output_tokens=" + Long.toUnsignedString(r.getUsage().getOutputTokens()));
    if (r.getUsage().hasCostUsd()) {
      out.println(prefix + "cost_usd=" + r.getUsage().getCostUsd());
    }
    out.println(prefix + "attempts=" + Integer.toUnsignedString(r.getAttempts()));
    out.println(prefix + "content=" + quote(r.getContent()));
  }

  /**
   * Decodes the google.rpc.Status the server attached to the error (grpc-status-details-bin) and
   * prints the details a caller acts on.
   */
  static void printError(PrintStream out, StatusRuntimeException e) {
    Status status = Status.fromThrowable(e);
    out.println("code=" + status.getCode().name());
    out.println("message=" + quote(status.getDescription() == null ? "" : status.getDescription()));
    com.google.rpc.Status rich = StatusProto.fromThrowable(e);
    if (rich == null) {
      return;
    }
    for (Any detail : rich.getDetailsList()) {
      try {
        if (detail.is(ErrorInfo.class)) {
          ErrorInfo info = detail.unpack(ErrorInfo.class);
          out.println("error_info.reason=" + info.getReason());
          out.println("error_info.domain=" + info.getDomain());
          for (Map.Entry<String, String> kv : new TreeMap<>(info.getMetadataMap()).entrySet()) {
            out.println("error_info.metadata." + kv.getKey() + "=" + kv.getValue());
          }
        } else if (detail.is(BadRequest.class)) {
          for (BadRequest.FieldViolation v : detail.unpack(BadRequest.class).getFieldViolationsList()) {
            out.println("field_violation=" + v.getField() + ": " + v.getDescription());
          }
        } else if (detail.is(RetryInfo.class)) {
          com.google.protobuf.Duration delay = detail.unpack(RetryInfo.class).getRetryDelay();
          out.println("retry_delay_ms=" + (delay.getSeconds() * 1000 + delay.getNanos() / 1_000_000));
        } else {
          out.println("detail=" + detail.getTypeUrl());
        }
      } catch (InvalidProtocolBufferException ex) {
        // A detail that does not parse: report it rather than drop it.
        out.println("detail_error=" + quote(detail.getTypeUrl() + ": " + ex.getMessage()));
      }
    }
  }

  /** JSON string literal, so that every client prints text the same way. */
  static String quote(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"':
          b.append("\\\"");
          break;
        case '\\':
          b.append("\\\\");
          break;
        case '\n':
          b.append("\\n");
          break;
        case '\r':
          b.append("\\r");
          break;
        case '\t':
          b.append("\\t");
          break;
        default:
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
      }
    }
    return b.append('"').toString();
  }
}
