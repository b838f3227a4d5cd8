package earshot.scheduler;

import earshot.bus.AcquireReply;
import earshot.bus.AcquireRequest;
import earshot.jobs.Job;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runners' acquire requests that found no work and are parked until work arrives (long poll). Owned by the
 * scheduler verticle and touched only on its event loop. At most one parked request per worker.
 */
final class AcquireWaiters {
  /** A parked request, answered exactly once. */
  static final class Waiter {
    final AcquireRequest request;
    final Message<JsonObject> message;
    final long deadlineMillis;
    boolean answered;

    Waiter(AcquireRequest request, Message<JsonObject> message, long deadlineMillis) {
      this.request = request;
      this.message = message;
      this.deadlineMillis = deadlineMillis;
    }

    void answer(List<Job> jobs) {
      if (!answered) {
        answered = true;
        message.reply(new AcquireReply(jobs).toJson());
      }
    }
  }

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

  boolean hasWithdrawn(String worker) {
    return withdrawn.contains(worker);
  }

  void park(Waiter w) {
    if (withdrawn.contains(w.request.worker())) {
      w.answer(List.of());
      return;
    }
    Waiter previous = byWorker.put(w.request.worker(), w);
    if (previous != null) {
      previous.answer(List.of());
    }
  }

  /** Answers and forgets the worker's parked request, if any. */
  void withdraw(String worker) {
    withdrawn.add(worker);
    Waiter w = byWorker.remove(worker);
    if (w != null) {
      w.answer(List.of());
    }
  }

  /** The parked requests in arrival order, after answering (empty) and dropping those past their deadline. */
  List<Waiter> live(long nowMillis) {
    List<Waiter> out = new ArrayList<>();
    for (Iterator<Waiter> it = byWorker.values().iterator(); it.hasNext(); ) {
      Waiter w = it.next();
      if (w.answered) {
        it.remove();
      } else if (w.deadlineMillis <= nowMillis) {
        w.answer(List.of());
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
