package earshot.api;

import earshot.bus.JobEvent;
import earshot.jobs.RecordedEvent;
import earshot.metrics.EventMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * One subscriber's job events: a consumer of a job-event address on the (clustered) event bus, so it gets every
 * scheduler's events whichever node made the change. The consumer is registered first and buffers what arrives while
 * the store is read for the events the subscriber has not seen ({@link #start}), so nothing falls between the read and
 * the bus. Each event is sent at most once: what the read gave is not sent again from the buffer, and on a one-job
 * stream an event whose seq is not above the last one sent is dropped, so the seqs a subscriber sees rise.
 *
 * <p>The subscription ends when the job ends (one-job streams), when the client goes away, or when the client reads
 * too slowly to keep up; either way the consumer and the keep-alive timer go and the gauge counts it out, once.
 *
 * <p>Threading: confined to the event loop of the HTTP verticle instance that opened it.
 */
final class EventSubscription {
  private final Vertx vertx;
  private final Predicate<JobEvent> wanted;
  private final boolean oneJob;
  private final List<RecordedEvent> buffered = new ArrayList<>();
  private final Set<Long> replayed = new HashSet<>();
  private MessageConsumer<JsonObject> consumer;
  private EventSink sink;
  private EventMetrics metrics;
  private long afterSeq;
  private long lastSent;
  private long timer = -1;
  private boolean live;
  private boolean closed;

  private EventSubscription(Vertx vertx, Predicate<JobEvent> wanted, boolean oneJob) {
    this.vertx = vertx;
    this.wanted = wanted;
    this.oneJob = oneJob;
  }

  /**
   * Listens on {@code address} from now on, keeping the events {@code wanted} accepts until {@link #start}; a one-job
   * stream ({@code oneJob}) ends with the job's end event.
   */
  static Future<EventSubscription> listen(Vertx vertx, String address, Predicate<JobEvent> wanted, boolean oneJob) {
    EventSubscription s = new EventSubscription(vertx, wanted, oneJob);
    s.consumer = vertx.eventBus().consumer(address, m -> s.arrived(JobEvent.fromJson(m.body())));
    return s.consumer.completion().map(v -> s);
  }

  /**
   * Sends {@code first} (what the store had after {@code after}), then what the bus brought meanwhile, then the live
   * events, to {@code sink}, with a keep-alive every {@code keepalive}.
   */
  void start(EventSink sink, List<RecordedEvent> first, long after, Duration keepalive, EventMetrics metrics) {
    this.sink = sink;
    this.metrics = metrics;
    this.afterSeq = after;
    this.lastSent = after;
    metrics.subscribed();
    sink.onGone(this::close);
    first.forEach(e -> replayed.add(e.seq()));
    first.forEach(e -> deliver(e, true));
    live = true;
    List.copyOf(buffered).forEach(e -> deliver(e, false));
    buffered.clear();
    if (!closed) {
      timer = vertx.setPeriodic(keepalive.toMillis(), id -> sink.keepalive());
    }
  }

  /** Stops listening without having streamed anything (the request was answered otherwise). */
  Future<Void> cancel() {
    closed = true;
    return consumer.unregister();
  }

  private void arrived(JobEvent event) {
    if (closed || !wanted.test(event)) {
      return;
    }
    if (live) {
      deliver(event.recorded(), false);
    } else {
      buffered.add(event.recorded());
    }
  }

  /** {@code fromStore}: read for this subscriber, so sent as it is; from the bus, only what it has not seen. */
  private void deliver(RecordedEvent e, boolean fromStore) {
    if (closed) {
      return;
    }
    if (!fromStore && e.seq() > 0 && (e.seq() <= afterSeq || replayed.contains(e.seq()))) {
      return; // the subscriber had it before connecting, or was just sent it from the store
    }
    if (oneJob && e.seq() > 0 && e.seq() <= lastSent) {
      return; // older than what this one-job stream already showed
    }
    if (sink.full()) {
      sink.end(); // a client this far behind resumes from its Last-Event-ID
      close();
      return;
    }
    lastSent = Math.max(lastSent, e.seq());
    sink.send(e.seq(), view(e));
    if (oneJob && RecordedEvent.END.equals(e.event())) {
      sink.end();
      close();
    }
  }

  /** The job as {@code GET /jobs/{id}} shows it, plus the event's kind and number. */
  static JsonObject view(RecordedEvent e) {
    return JobView.of(e.job()).put("event", e.event()).put("seq", e.seq());
  }

  private void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    consumer.unregister();
    metrics.unsubscribed();
  }
}
