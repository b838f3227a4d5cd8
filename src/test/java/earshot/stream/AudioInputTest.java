package earshot.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.stream.AudioInput.Encoding;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Frames of any size and any rate in, 16 kHz samples out; and the config frame's checks. */
class AudioInputTest {

  static float[] collect(List<float[]> parts) {
    return LiveAudio.concat(parts.toArray(new float[0][]));
  }

  @Test
  void s16leFramesSplitInsideASampleGiveTheSameSamplesAsOneFrame() {
    float[] voice = LiveAudio.voice(0.5, 1);
    byte[] bytes = LiveAudio.s16le(voice);
    List<float[]> whole = new ArrayList<>();
    AudioInput.raw(Encoding.PCM_S16LE, 16000, whole::add).write(Buffer.buffer(bytes));
    List<float[]> split = new ArrayList<>();
    AudioInput in = AudioInput.raw(Encoding.PCM_S16LE, 16000, split::add);
    for (int i = 0; i < bytes.length; i += 333) { // odd: every other frame ends mid-sample
      in.write(Buffer.buffer(java.util.Arrays.copyOfRange(bytes, i, Math.min(bytes.length, i + 333))));
    }
    assertArrayEquals(collect(whole), collect(split));
    assertEquals(voice.length, collect(split).length);
  }

  @Test
  void f32leIsReadAndClampedAndNaNIsSilence() {
    Buffer b = Buffer.buffer().appendFloatLE(0.25f).appendFloatLE(3f).appendFloatLE(Float.NaN);
    List<float[]> out = new ArrayList<>();
    AudioInput.raw(Encoding.PCM_F32LE, 16000, out::add).write(b);
    assertArrayEquals(new float[] {0.25f, 1f, 0f}, collect(out));
  }

  @Test
  void fortyEightKilohertzInFramesBecomesSixteenKilohertzWithoutSeams() {
    float[] at48 = LiveAudio.at(LiveAudio.voice(1, 2), 48000);
    Resampler whole = new Resampler(48000);
    float[] once = whole.apply(at48);
    Resampler framed = new Resampler(48000);
    List<float[]> parts = new ArrayList<>();
    for (int i = 0; i < at48.length; i += 1001) {
      parts.add(framed.apply(LiveAudio.slice(at48, i, i + 1001)));
    }
    float[] chunked = collect(parts);
    assertEquals(16000, once.length, 2);
    assertEquals(once.length, chunked.length, 1);
    for (int i = 0; i < Math.min(once.length, chunked.length); i++) {
      assertEquals(once[i], chunked[i], 1e-4, "sample " + i);
    }
  }

  @Test
  void theConfigFrameHasDefaultsAndRefusesWhatCannotWork() {
    StreamOptions o = StreamOptions.parse(new JsonObject().put("type", "config"));
    assertEquals(16000, o.sampleRate());
    assertEquals(Encoding.PCM_S16LE, o.encoding());
    assertTrue(o.interim());
    assertEquals(500, o.endpointingMs());
    assertFalse(o.save());
    for (JsonObject bad : List.of(new JsonObject().put("encoding", "mp3"), new JsonObject().put("sample_rate", 100),
        new JsonObject().put("language", "klingon"), new JsonObject().put("model", "gpt-5"),
        new JsonObject().put("endpointing_ms", 5), new JsonObject().put("interim_results", "yes"))) {
      assertThrows(IllegalArgumentException.class, () -> StreamOptions.parse(bad), bad.encode());
    }
  }
}
