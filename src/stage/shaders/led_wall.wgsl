// The LED wall: procedural visuals on the beat in the song's palette, seen through a grid of
// LED pixels (which fades out where the pixels get smaller than the screen's).
#import bevy_pbr::forward_io::VertexOutput

struct Wall {
    palette: array<vec4<f32>, 4>,
    // x beats since the song began, y pattern, z brightness, w effect flash.
    state: vec4<f32>,
};

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> wall: Wall;

const TAU: f32 = 6.2831853;

fn palette(t: f32) -> vec3<f32> {
    let x = fract(t) * 4.0;
    let index = u32(x);
    let next = (index + 1u) % 4u;
    return mix(wall.palette[index].rgb, wall.palette[next].rgb, smoothstep(0.0, 1.0, fract(x)));
}

fn hash(p: vec2<f32>) -> f32 {
    return fract(sin(dot(p, vec2(127.1, 311.7))) * 43758.5453);
}

@fragment
fn fragment(in: VertexOutput) -> @location(0) vec4<f32> {
    let uv = in.uv;
    let beats = wall.state.x;
    let design = u32(wall.state.y);
    let pattern = design % 8u;
    // Each song's own take on a section's design: another count, direction or tilt.
    let variant = f32(design / 8u);
    let pulse = pow(1.0 - fract(beats), 2.0);
    let centred = (uv - 0.5) * vec2(2.4, 1.0);
    // A deep backdrop in the song's first colour: the designs are light on dark, so the
    // wall frames the performers instead of outshining them.
    var colour = palette(0.0) * (0.05 + 0.04 * (1.0 - uv.y));
    switch pattern {
        // Chorus: beams of light turning round a bright core, a ring on every beat.
        case 0u: {
            let r = length(centred);
            let rays = 6.0 + 2.0 * variant;
            let turn = beats * 0.05 * (1.0 - 2.0 * (variant % 2.0));
            let angle = atan2(centred.y, centred.x) / TAU + turn;
            let ray = pow(abs(cos(angle * rays * 3.14159265)), 24.0);
            let ring = smoothstep(0.06, 0.0, abs(r - fract(beats) * 1.4));
            let core = exp(-r * r * 18.0);
            colour += palette(angle + beats * 0.0625) * (ray * (1.0 - r * 0.6) * 0.8 + ring * 0.7)
                + palette(0.5) * core * (0.6 + 0.4 * pulse);
        }
        // Pre-chorus and dance break: equalizer bars jumping on the beat, a reflection below.
        case 1u: {
            let columns = 18.0 + 6.0 * variant;
            let column = floor(uv.x * columns);
            let inside = abs(fract(uv.x * columns) - 0.5) < 0.36;
            let height = 0.15 + 0.6 * hash(vec2(column, floor(beats))) * (0.4 + 0.6 * pulse);
            let rise = 1.0 - uv.y;
            let bar = step(rise, height) * step(0.0, rise);
            colour += palette(column / columns + beats * 0.03) * bar * f32(inside) * 0.9;
        }
        // Verse and intro: slow ribbons of colour crossing a dark sky.
        case 2u: {
            for (var k = 0; k < 3; k++) {
                let lane = f32(k);
                let tilt = 0.3 + 0.25 * variant;
                let y = 0.3 + lane * 0.2 + 0.08 * sin(uv.x * 5.0 + beats * 0.4 + lane * 2.1 + tilt);
                let ribbon = exp(-pow((uv.y - y) * 28.0, 2.0));
                colour += palette(lane * 0.3 + uv.x * 0.2 + beats * 0.02) * ribbon * 0.75;
            }
        }
        // Bridge, outro, talks: a starfield twinkling on the beat over a glowing horizon.
        case 3u: {
            let cell = floor(uv * vec2(96.0, 40.0));
            let star = hash(cell + vec2(variant * 17.0, 0.0));
            let twinkle = step(0.93, star) * (0.4 + 0.6 * fract(star * 13.0 + beats * 0.25));
            let horizon = exp(-uv.y * 7.0) * 0.35;
            colour += vec3(twinkle) * palette(star) + palette(0.25) * horizon;
        }
        // Stripes chasing sideways, a step per beat.
        default: {
            let stripe = fract(uv.x * 6.0 - floor(beats) * 0.25 + uv.y * 0.5);
            colour += palette(floor(uv.x * 6.0 - floor(beats) * 0.25) / 6.0) * step(0.7, stripe) * 0.7;
        }
    }
    // Darker towards the edges, like a real wall seen off its axis.
    let vignette = 1.0 - 0.45 * dot(centred / vec2(1.2, 0.5), centred / vec2(1.2, 0.5)) * 0.5;
    colour = colour * vignette * (0.6 + 0.4 * pulse) * wall.state.z + vec3(wall.state.w * 0.5);
    // LED pixels: round dots on a dark grid, smoothed away when they get smaller than a pixel.
    let grid = uv * vec2(320.0, 136.0);
    let dot_shape = 1.0 - smoothstep(0.3, 0.5, length(fract(grid) - 0.5));
    let size = max(fwidth(grid).x, fwidth(grid).y);
    let mask = mix(0.35 + 0.9 * dot_shape, 0.75, clamp(size * 1.5 - 0.5, 0.0, 1.0));
    return vec4(colour * mask, 1.0);
}
