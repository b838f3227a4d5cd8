package earshot.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.bus.StreamDecode;
import earshot.bus.StreamDecoded;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The commit policy against a scripted decoder: silence is never decoded, speech ends in a final with
 * {@code speech_final}, two agreeing passes commit their common prefix, a repeated final is dropped, a flush commits,
 * and a decoder that falls behind pauses the input.
 */
class LiveTranscriberTest {
  static final int RATE = LiveTranscriber.RATE;

  final List<String> log = new ArrayList<>();
  final List<StreamDecode> passes = new ArrayList<>();
  final List<LiveTranscriber.Segment> finals = new ArrayList<>();
  final List<Boolean> speechFinals = new ArrayList<>();
  final List<String> partials = new ArrayList<>();
  final List<Boolean> lags = new ArrayList<>();

  LiveTranscriber transcriber(Function<StreamDecode, Future<StreamDecoded>> decoder, boolean autoCommit) {
    var settings = new LiveTranscriber.Settings(null, "en", true, 500, EnergyVad.snrForThreshold(0.5), RATE,
        15 * RATE, 5 * RATE, autoCommit);
    return new LiveTranscriber(settings, pass -> {
      passes.add(pass);
      return decoder.apply(pass);
    }, new LiveTranscriber.Events() {
      @Override
      public void partial(String text, double start, double end) {
        partials.add(text);
      }

      @Override
      public void finalSegment(LiveTranscriber.Segment segment, boolean speechFinal) {
        finals.add(segment);
        speechFinals.add(speechFinal);
      }

      @Override
      public void speechStarted(long sample) {
        log.add("started@" + sample);
      }

      @Override
      public void speechStopped(long sample) {
        log.add("stopped@" + sample);
      }

      @Override
      public void lag(double seconds, boolean pause) {
        lags.add(pause);
      }

      @Override
      public void failed(Throwable err) {
        log.add("failed " + err);
      }
    });
  }

  static Future<StreamDecoded> says(StreamDecode pass, String text) {
    long ms = (long) (pass.seconds() * 1000);
    return Future.succeededFuture(new StreamDecoded(List.of(new StreamDecoded.Segment(0, ms, text)), 1));
  }

  static void feed(LiveTranscriber t, float[] audio, double frameSeconds) {
    int frame = (int) (frameSeconds * RATE);
    for (int i = 0; i < audio.length; i += frame) {
      t.accept(LiveAudio.slice(audio, i, i + frame));
    }
  }

  @Test
  void sixtySecondsOfSilenceAndLowNoiseAreNeverDecoded() {
    LiveTranscriber t = transcriber(p -> says(p, "thank you"), true);
    feed(t, LiveAudio.concat(LiveAudio.silence(30), LiveAudio.noise(30, 0.002, 1)), 0.1);
    t.flush(true);
    assertTrue(passes.isEmpty(), "silence was decoded " + passes.size() + " times");
    assertTrue(finals.isEmpty());
    assertEquals(60.0, t.receivedSeconds(), 0.01);
  }

  @Test
  void speechThenSilenceEndsInASpeechFinalInsideTheAudio() {
    int[] n = {0};
    // every pass says something new, as the synthetic model does, so only the end of speech commits
    LiveTranscriber t = transcriber(p -> says(p, "take" + n[0]++ + " hello world"), true);
    feed(t, LiveAudio.concat(LiveAudio.silence(1), LiveAudio.voice(2, 1), LiveAudio.silence(1.5)), 0.1);
    assertTrue(log.getFirst().startsWith("started@"), log.toString());
    assertTrue(log.stream().anyMatch(s -> s.startsWith("stopped@")), log.toString());
    assertFalse(finals.isEmpty(), "a final at the end of speech");
    LiveTranscriber.Segment last = finals.getLast();
    assertTrue(speechFinals.getLast());
    assertTrue(last.start() >= 0.5 && last.end() <= 3.2 && last.start() <= last.end(), last.toString());
    for (StreamDecode p : passes) {
      assertTrue(p.seconds() <= 15, "a pass is bounded by the window");
    }
  }

  @Test
  void twoAgreeingPassesCommitTheirCommonPrefixAndTheRestStaysPartial() {
    List<String> script = new ArrayList<>(List.of("one two", "one two three", "one two three four"));
    LiveTranscriber t = transcriber(p -> says(p, script.size() > 1 ? script.removeFirst() : script.getFirst()),
        false);
    feed(t, LiveAudio.voice(3.5, 2), 0.1);
    assertFalse(finals.isEmpty(), "partials " + partials);
    assertEquals("one two", finals.getFirst().text());
    assertFalse(speechFinals.getFirst(), "agreement is not the end of speech");
    assertTrue(partials.contains("one two"), partials.toString());
  }

  @Test
  void theSameFinalIsNeverSentTwiceInARow() {
    // whisper saying the same word over and over through one long utterance, as it does on noise
    LiveTranscriber t = transcriber(p -> says(p, "you"), true);
    feed(t, LiveAudio.concat(LiveAudio.voice(8, 5), LiveAudio.silence(1)), 0.1);
    assertEquals(1, finals.stream().filter(f -> !f.text().isEmpty()).count(), finals.toString());
    assertTrue(passes.size() >= 4, "the passes kept hearing it: " + passes.size());
  }

  @Test
  void flushCommitsWhatWasHeardAndCompletes() {
    LiveTranscriber t = transcriber(p -> says(p, "flushed words"), true);
    feed(t, LiveAudio.voice(0.8, 3), 0.1);
    Future<Void> f = t.flush(false);
    assertTrue(f.succeeded());
    assertEquals("flushed words", finals.getLast().text());
    assertFalse(speechFinals.getLast());
  }

  @Test
  void aDecoderThatFallsBehindPausesTheInputUntilItCatchesUp() {
    List<Promise<StreamDecoded>> pending = new ArrayList<>();
    LiveTranscriber t = transcriber(p -> {
      Promise<StreamDecoded> promise = Promise.promise();
      pending.add(promise);
      return promise.future();
    }, true);
    feed(t, LiveAudio.voice(8, 4), 0.1);
    assertEquals(List.of(true), lags, "paused once more than 5 s waited");
    pending.removeFirst().complete(new StreamDecoded(List.of(), 1));
    // the next pass took the waiting audio in: the lag fell, so reading resumes
    assertEquals(List.of(true, false), lags);
  }

  @Test
  void theSameWordsAfterAPauseAreNewSpeechAndAnUtteranceAlreadyFinalEndsWithAnEmptySpeechFinal() {
    LiveTranscriber t = transcriber(p -> says(p, "yes"), true);
    feed(t, LiveAudio.concat(LiveAudio.voice(2.5, 1), LiveAudio.silence(3), LiveAudio.voice(2.5, 2),
        LiveAudio.silence(1)), 0.1);
    List<String> texts = finals.stream().map(LiveTranscriber.Segment::text).toList();
    assertEquals(2, texts.stream().filter("yes"::equals).count(), texts + " " + speechFinals);
    assertTrue(speechFinals.getLast(), "the second utterance ended: " + speechFinals);
    // the passes agreed on "yes" before the pause was heard, so the end of the utterance came as an empty final
    assertTrue(finals.stream().anyMatch(f -> f.text().isEmpty()), texts.toString());
  }

  @Test
  void clearDropsTheBufferAndTheTextOfAPassStillInFlight() {
    List<Promise<StreamDecoded>> pending = new ArrayList<>();
    LiveTranscriber t = transcriber(p -> {
      Promise<StreamDecoded> promise = Promise.promise();
      pending.add(promise);
      return promise.future();
    }, false);
    feed(t, LiveAudio.voice(1.5, 6), 0.1);
    t.clear();
    Future<Void> flushed = t.flush(true);
    pending.removeFirst().complete(new StreamDecoded(List.of(new StreamDecoded.Segment(0, 1000, "gone")), 1));
    assertTrue(finals.isEmpty() && partials.isEmpty(), finals + " " + partials);
    assertTrue(flushed.succeeded(), "nothing left to flush");
  }

  @Test
  void aBusyTranscriberIsAskedAgainAndOnlyAPermanentRefusalOrThreeInARowEndTheStream() {
    int[] calls = {0};
    LiveTranscriber t = transcriber(p -> ++calls[0] == 1
        ? Future.failedFuture(new io.vertx.core.eventbus.ReplyException(
            io.vertx.core.eventbus.ReplyFailure.RECIPIENT_FAILURE, 503, "all whisper states stayed busy"))
        : says(p, "second try"), true);
    feed(t, LiveAudio.concat(LiveAudio.voice(1.5, 7), LiveAudio.silence(1)), 0.1);
    assertTrue(log.stream().noneMatch(l -> l.startsWith("failed")), log.toString());
    assertEquals("second try", finals.getLast().text());

    LiveTranscriber missing = transcriber(p -> Future.failedFuture(new io.vertx.core.eventbus.ReplyException(
        io.vertx.core.eventbus.ReplyFailure.RECIPIENT_FAILURE, 422, "model not installed")), true);
    feed(missing, LiveAudio.concat(LiveAudio.voice(1.5, 7), LiveAudio.silence(1)), 0.1);
    assertEquals(1, log.stream().filter(l -> l.startsWith("failed")).count(), log.toString());
  }
}
