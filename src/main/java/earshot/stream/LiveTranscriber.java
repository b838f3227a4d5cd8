package earshot.stream;

import earshot.bus.StreamDecode;
import earshot.bus.StreamDecoded;
import earshot.stream.Hypothesis.Word;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * One live stream's commit policy, whatever the protocol: a rolling buffer of uncommitted 16 kHz audio, decoded by
 * a pass every {@code step} of new audio while the VAD hears speech. Text becomes final when
 * <ul>
 *   <li>two consecutive passes agree on a prefix (local agreement), or</li>
 *   <li>speech ends (endpointing: the VAD's silence), or a flush ({@code finalize}, {@code end}, a commit) asks, or</li>
 *   <li>the buffer reaches {@code maxWindow}, so that a pass costs bounded time however long the stream.</li>
 * </ul>
 * Committed audio leaves the buffer and committed text is the next pass's prompt. Silent audio is never decoded
 * (only {@link #PAD} of it is kept before speech), and a final never repeats the previous one.
 *
 * <p>Back-pressure: audio received but not yet decoded or skipped is the lag; above {@code maxLag} the socket is
 * paused ({@link Events#lag}) until it falls below half of it. Memory is thus bounded by maxWindow + maxLag plus one
 * frame.
 *
 * <p>Threading: not thread-safe; every method and callback runs on the event loop of the stream's socket.
 */
public final class LiveTranscriber {
  public static final int RATE = 16_000;
  /** Audio kept before the start of speech (OpenAI's prefix_padding_ms default). */
  static final int PAD = RATE * 300 / 1000;
  private static final int MIN_PASS = RATE / 2;
  private static final int PROMPT_CHARS = 200;
  /** Passes that may fail in a row (no whisper state free in time, a bus timeout) before the stream gives up. */
  static final int MAX_FAILURES = 3;

  /** What the stream tells its protocol. All on the event loop. */
  public interface Events {
    void partial(String text, double start, double end);

    /** A final segment; {@code speechFinal} when it ends an utterance (endpointing or the end of the stream). */
    void finalSegment(Segment segment, boolean speechFinal);

    default void speechStarted(long sample) {}

    default void speechStopped(long sample) {}

    /** Inference is {@code seconds} behind: pause reading ({@code pause}) or read again. */
    void lag(double seconds, boolean pause);

    /** A decode pass failed; the stream should be closed. */
    void failed(Throwable err);

    /** Latency samples for the metrics: seconds from audio arrival to the text covering it. */
    default void latency(boolean firstPartial, double seconds) {}
  }

  /** A final segment; times in seconds from the start of the stream. */
  public record Segment(int id, double start, double end, String text, List<Word> words) {}

  /**
   * @param autoCommit whether the end of speech commits (server VAD); without it only flushes and the window do
   */
  public record Settings(String model, String language, boolean interim, int endpointingMs, double snrDb,
                         int stepSamples, int maxWindowSamples, int maxLagSamples, boolean autoCommit) {}

  private final Settings settings;
  private final Function<StreamDecode, Future<StreamDecoded>> decoder;
  private final Events events;
  private final EnergyVad vad;
  private float[] buf = new float[RATE * 4];
  private int bufLen;
  private long bufStart;
  private long received;
  private long covered;
  private long lastPassEnd;
  private long endpointAt = -1;
  private long flushUntil = -1;
  private boolean flushSpeechFinal;
  private final List<Promise<Void>> flushes = new ArrayList<>();
  private boolean inflight;
  private int failures;
  private int generation;
  private boolean paused;
  private boolean stopped;
  private boolean partialSinceSpeech;
  private List<Word> previous = List.of();
  private final StringBuilder prompt = new StringBuilder();
  private String lastFinalKey = "";
  private long lastFinalEnd;
  private boolean utteranceOpen; // a final of the current utterance was sent, its speech_final not yet
  private int nextId;
  private final ArrayDeque<long[]> arrivals = new ArrayDeque<>(); // {end sample, nanoTime}

  public LiveTranscriber(Settings settings, Function<StreamDecode, Future<StreamDecoded>> decoder, Events events) {
    this.settings = settings;
    this.decoder = decoder;
    this.events = events;
    this.vad = new EnergyVad(settings.snrDb(), settings.endpointingMs());
  }

  /** Seconds of audio received so far. */
  public double receivedSeconds() {
    return received / (double) RATE;
  }

  /** Takes 16 kHz mono samples in [-1, 1]. */
  public void accept(float[] samples) {
    if (stopped || samples.length == 0) {
      return;
    }
    ensure(bufLen + samples.length);
    System.arraycopy(samples, 0, buf, bufLen, samples.length);
    bufLen += samples.length;
    received += samples.length;
    arrivals.addLast(new long[] {received, System.nanoTime()});
    vad.accept(samples, 0, samples.length, change -> {
      if (change.started()) {
        partialSinceSpeech = false;
        events.speechStarted(change.sample());
      } else {
        events.speechStopped(change.sample());
        if (settings.autoCommit()) {
          endpointAt = change.sample();
        }
      }
    });
    step();
    checkLag();
  }

  /**
   * Commits everything received so far; completes once its final (if any) was emitted.
   *
   * @param speechFinal whether that final ends the utterance
   */
  public Future<Void> flush(boolean speechFinal) {
    Promise<Void> p = Promise.promise();
    flushes.add(p);
    flushUntil = received;
    flushSpeechFinal = speechFinal;
    step();
    return p.future();
  }

  /** Drops the uncommitted audio (a realtime client's {@code input_audio_buffer.clear}). */
  public void clear() {
    generation++; // a pass in flight decoded audio that is gone now: its text is dropped
    trimTo(bufStart + bufLen);
    previous = List.of();
    endpointAt = -1;
  }

  /** No more passes; a pass in flight is ignored when it returns. */
  public void stop() {
    stopped = true;
    flushes.forEach(p -> p.tryFail("stream closed"));
    flushes.clear();
  }

  private boolean speechBuffered() {
    return vad.inSpeech() || vad.lastLoudEnd() > bufStart;
  }

  /** Decides whether a pass runs now, over what, and how its result commits. */
  private void step() {
    if (inflight || stopped) {
      return;
    }
    completeFlushes();
    if (endpointAt >= 0 && endpointAt <= bufStart) {
      // the speech that just ended was committed already (by agreement): only its end is left to tell
      endUtterance(endpointAt);
      endpointAt = -1;
    }
    long end = bufStart + bufLen;
    if (!speechBuffered()) {
      // Silence is skipped, not decoded: keep only the padding that will sit before the next speech.
      trimTo(Math.max(bufStart, end - PAD));
      covered = end;
      endpointAt = -1;
      completeFlushes();
      return;
    }
    if (endpointAt > bufStart) {
      long to = Math.min(Math.min(endpointAt + RATE / 10, end), bufStart + settings.maxWindowSamples());
      pass(to, Commit.ALL, to >= endpointAt);
    } else if (flushUntil > bufStart) {
      long to = Math.min(flushUntil, bufStart + settings.maxWindowSamples());
      pass(to, Commit.ALL, flushSpeechFinal && to >= flushUntil);
    } else if (bufLen > settings.maxWindowSamples()) {
      pass(bufStart + settings.maxWindowSamples(), Commit.ALL, false);
    } else if (end - lastPassEnd >= settings.stepSamples() && bufLen >= MIN_PASS) {
      pass(end, Commit.AGREED, false);
    } else {
      completeFlushes();
    }
  }

  private enum Commit { ALL, AGREED }

  private void pass(long to, Commit commit, boolean speechFinal) {
    int n = (int) (to - bufStart);
    long from = bufStart;
    Buffer body = Buffer.buffer(n * 4);
    for (int i = 0; i < n; i++) {
      body.appendFloatLE(buf[i]);
    }
    inflight = true;
    int gen = generation;
    lastPassEnd = to;
    covered = Math.max(covered, to);
    decoder.apply(new StreamDecode(settings.model(), settings.language(), promptText(), body))
        .onComplete(ar -> {
          inflight = false;
          if (stopped) {
            return;
          }
          if (ar.failed()) {
            if (permanent(ar.cause()) || ++failures >= MAX_FAILURES) {
              stop(); // no more passes; the protocol closes the socket
              events.failed(ar.cause());
            } else {
              step(); // busy or lost on the way: the audio is still here, the next pass covers it
            }
            return;
          }
          failures = 0;
          if (gen != generation) {
            step();
            return;
          }
          List<Word> words = Hypothesis.words(ar.result(), from, to, bufStart);
          if (commit == Commit.ALL) {
            commit(words, speechFinal, to);
            if (endpointAt >= 0 && to >= endpointAt) {
              endpointAt = -1;
            }
          } else {
            agree(words);
          }
          step();
          checkLag();
        });
  }

  private void agree(List<Word> words) {
    int k = Hypothesis.agreed(previous, words);
    List<Word> rest = words.subList(k, words.size());
    if (k > 0) {
      commit(List.copyOf(words.subList(0, k)), false, words.get(k - 1).end());
    }
    previous = List.copyOf(rest);
    if (settings.interim() && !rest.isEmpty()) {
      long at = rest.getLast().end();
      events.partial(Hypothesis.text(rest), seconds(rest.getFirst().start()), seconds(at));
      if (!partialSinceSpeech) {
        partialSinceSpeech = true;
        events.latency(true, sinceArrival(at));
      }
    }
  }

  private void commit(List<Word> words, boolean speechFinal, long trimTo) {
    previous = List.of();
    long end = Math.min(trimTo, bufStart + bufLen);
    trimTo(end);
    String text = Hypothesis.text(words);
    String key = Hypothesis.key(text);
    // The same words again within one utterance are whisper repeating itself over continuing audio, not new speech;
    // the same words in the next utterance (a second "yes" after a pause) are new.
    boolean repeat = key.equals(lastFinalKey) && utteranceOpen;
    if (repeat) {
      lastFinalEnd = words.getLast().end(); // a run of repeats stays one final
    }
    if (key.isEmpty() || repeat) {
      if (speechFinal) {
        endUtterance(Math.min(endpointOr(end), end));
      }
      return;
    }
    lastFinalKey = key;
    prompt.append(prompt.isEmpty() ? "" : " ").append(text);
    if (prompt.length() > PROMPT_CHARS) {
      prompt.delete(0, prompt.length() - PROMPT_CHARS);
    }
    long endSample = words.getLast().end();
    lastFinalEnd = endSample;
    utteranceOpen = !speechFinal;
    events.latency(false, sinceArrival(endSample));
    events.finalSegment(new Segment(nextId++, seconds(words.getFirst().start()), seconds(endSample), text,
        words), speechFinal);
  }

  /** An empty speech_final final, when the utterance had finals and its end was not told yet. */
  private void endUtterance(long at) {
    if (utteranceOpen) {
      utteranceOpen = false;
      double t = seconds(Math.max(lastFinalEnd, at));
      events.finalSegment(new Segment(nextId++, t, t, "", List.of()), true);
    }
  }

  private long endpointOr(long fallback) {
    return endpointAt >= 0 ? endpointAt : fallback;
  }

  /** A pass the transcriber refused for good (a model that is unknown or not installed): no retry helps. */
  private static boolean permanent(Throwable err) {
    return err instanceof io.vertx.core.eventbus.ReplyException re
        && re.failureType() == io.vertx.core.eventbus.ReplyFailure.RECIPIENT_FAILURE
        && re.failureCode() == earshot.bus.Failures.UNPROCESSABLE;
  }

  private String promptText() {
    return prompt.isEmpty() ? null : prompt.toString();
  }

  private void completeFlushes() {
    if (!flushes.isEmpty() && !inflight && (flushUntil <= bufStart || !speechBuffered())) {
      flushUntil = -1;
      List<Promise<Void>> done = List.copyOf(flushes);
      flushes.clear();
      done.forEach(Promise::tryComplete);
    }
  }

  private void checkLag() {
    double lag = (received - Math.max(covered, bufStart)) / (double) RATE;
    if (!paused && received - Math.max(covered, bufStart) > settings.maxLagSamples()) {
      paused = true;
      events.lag(lag, true);
    } else if (paused && received - Math.max(covered, bufStart) < settings.maxLagSamples() / 2) {
      paused = false;
      events.lag(lag, false);
    }
  }

  private void trimTo(long sample) {
    int drop = (int) Math.clamp(sample - bufStart, 0, bufLen);
    if (drop > 0) {
      System.arraycopy(buf, drop, buf, 0, bufLen - drop);
      bufLen -= drop;
      bufStart += drop;
    }
    while (arrivals.size() > 1 && arrivals.peekFirst()[0] <= bufStart) {
      arrivals.removeFirst();
    }
  }

  private void ensure(int capacity) {
    if (capacity > buf.length) {
      buf = java.util.Arrays.copyOf(buf, Math.max(capacity, buf.length * 2));
    }
  }

  /** Seconds since the audio at {@code sample} arrived. */
  private double sinceArrival(long sample) {
    for (long[] a : arrivals) {
      if (a[0] >= sample) {
        return (System.nanoTime() - a[1]) / 1e9;
      }
    }
    return arrivals.isEmpty() ? 0 : (System.nanoTime() - arrivals.peekLast()[1]) / 1e9;
  }

  static double seconds(long sample) {
    return Math.round(sample * 1000.0 / RATE) / 1000.0;
  }
}
