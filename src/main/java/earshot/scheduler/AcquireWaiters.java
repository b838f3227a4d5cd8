package earshot.scheduler;

import earshot.bus.AcquireReply;
import earshot.bus.AcquireRequest;
import earshot.jobs.Job;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runners' acquire requests that found no work and are parked until work arrives (long poll). Owned by the
 * scheduler verticle and touched only on its event loop. At most one parked request per worker. A parked request's
 * wait ends on a Vert.x timer, so the wait is a duration and reads no time of day (the scheduler's {@code Clock},
 * which tests may stop, is for leases and days).
 */
final class AcquireWaiters {
  /** A parked request, answered exactly once. */
  final class Waiter {
    final AcquireRequest request;
    final Message<JsonObject> message;
    boolean answered;
    private long timer = -1;

    Waiter(AcquireRequest request, Message<JsonObject> message) {
      this.request = request;
      this.message = message;
    }

    void answer(List<Job> jobs) {
      if (!answered) {
        answered = true;
        if (timer >= 0) {
          vertx.cancelTimer(timer);
        }
        message.reply(new AcquireReply(jobs).toJson());
      }
    }
  }

  private final Vertx vertx;
  private final Map<String, Waiter> byWorker = new LinkedHashMap<>();
  /**
   * Workers that withdrew (they are stopping). An acquire of theirs that was already in flight when they withdrew
   * must not be parked and later answered with leased jobs nobody will run. Bounded: oldest forgotten first.
   */
  private final java.util.Set<String> withdrawn = java.util.Collections.newSetFromMap(new LinkedHashMap<>() {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
      return size() > 10_000;
    }
  });

  AcquireWaiters(Vertx vertx) {
    this.vertx = vertx;
  }

  boolean hasWithdrawn(String worker) {
    return withdrawn.contains(worker);
  }

  /** Parks the request until work arrives or its {@code wait_ms} has passed; returns the parked waiter. */
  Waiter park(AcquireRequest request, Message<JsonObject> message) {
    Waiter w = new Waiter(request, message);
    if (withdrawn.contains(request.worker())) {
      w.answer(List.of());
      return w;
    }
    Waiter previous = byWorker.put(request.worker(), w);
    if (previous != null) {
      previous.answer(List.of());
    }
    w.timer = vertx.setTimer(Math.max(1, request.waitMs()), id -> {
      w.timer = -1;
      if (!w.answered) {
        w.answer(List.of());
        byWorker.remove(request.worker(), w);
      }
    });
    return w;
  }

  /** Answers and forgets the worker's parked request, if any. */
  void withdraw(String worker) {
    withdrawn.add(worker);
    Waiter w = byWorker.remove(worker);
    if (w != null) {
      w.answer(List.of());
    }
  }

  /** The parked requests in arrival order, after dropping those already answered. */
  List<Waiter> live() {
    List<Waiter> out = new ArrayList<>();
    for (Iterator<Waiter> it = byWorker.values().iterator(); it.hasNext(); ) {
      Waiter w = it.next();
      if (w.answered) {
        it.remove();
      } else {
        out.add(w);
      }
    }
    return out;
  }

  void remove(Waiter w) {
    byWorker.remove(w.request.worker(), w);
  }

  boolean isEmpty() {
    return byWorker.isEmpty();
  }

  void answerAll() {
    byWorker.values().forEach(w -> w.answer(List.of()));
    byWorker.clear();
  }
}
