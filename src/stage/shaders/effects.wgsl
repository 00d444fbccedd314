// Stage effects as particles whose motion is a closed form of their age: the vertex shader
// places every particle from its seeds and the seconds since the cue, so a seek lands on
// exactly the frame a playthrough would show, and nothing is simulated on the CPU.
#import bevy_pbr::mesh_view_bindings::view
#import bevy_pbr::view_transformations::position_world_to_clip

struct Burst {
    // x seconds since the cue, y kind (0 confetti, 1 pyro, 2 sparklers, 3 CO2, 4 fireworks),
    // z brightness.
    state: vec4<f32>,
    colours: array<vec4<f32>, 4>,
};

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> burst: Burst;

struct Vertex {
    // Where the particle's emitter is.
    @location(0) origin: vec3<f32>,
    // The quad's corner, -1 to 1.
    @location(2) corner: vec2<f32>,
    @location(3) seeds: vec2<f32>,
    @location(5) more: vec4<f32>,
};

struct Out {
    @builtin(position) clip: vec4<f32>,
    @location(0) colour: vec4<f32>,
    @location(1) corner: vec2<f32>,
};

struct Particle {
    position: vec3<f32>,
    size: f32,
    colour: vec3<f32>,
};

const TAU: f32 = 6.2831853;

fn palette(seed: f32) -> vec3<f32> {
    return burst.colours[u32(seed * 3.999)].rgb;
}

// Distance travelled against drag `k` from speed 1 after `t` seconds.
fn dragged(t: f32, k: f32) -> f32 {
    return (1.0 - exp(-k * t)) / k;
}

fn particle(v: Vertex, t: f32, kind: u32) -> Particle {
    let s = v.seeds;
    let m = v.more;
    var p: Particle;
    p.size = 0.0;
    p.position = v.origin;
    p.colour = vec3(0.0);
    switch kind {
        // Confetti: fired up and out over the crowd, then fluttering down.
        case 0u: {
            let delay = s.x * 0.4;
            let a = t - delay;
            if a < 0.0 { return p; }
            let launch = vec3((s.y - 0.5) * 10.0, 16.0 + 6.0 * m.x, 6.0 + 10.0 * m.y);
            let flutter = vec3(sin(a * 3.0 + m.z * TAU), 0.0, cos(a * 2.3 + m.w * TAU)) * 0.35;
            p.position = v.origin + launch * dragged(a, 2.2) + vec3(0.0, -1.1 * a, 0.0) + flutter;
            if p.position.y < -0.45 { p.position.y = -0.45; }
            p.size = 0.07 * abs(sin(a * 7.0 + m.w * 10.0));
            p.colour = palette(m.z) * 1.3 * clamp(9.0 - a, 0.0, 1.0);
        }
        // Pyro: flame columns at the stage front.
        case 1u: {
            let a = t - s.x * 1.2;
            if a < 0.0 || a > 0.6 { return p; }
            let life = a / 0.6;
            let jitter = vec3(s.y - 0.5, 0.0, m.x - 0.5) * (0.3 + life * 0.6);
            p.position = v.origin + jitter + vec3(0.0, 9.0 * a - 3.0 * a * a, 0.0);
            p.size = 0.22 + 0.4 * life;
            let hot = mix(vec3(1.0, 0.95, 0.6), vec3(1.0, 0.45, 0.08), smoothstep(0.0, 0.5, life));
            p.colour = mix(hot, vec3(0.6, 0.08, 0.02), smoothstep(0.5, 1.0, life)) * (1.0 - life) * 1.1;
        }
        // Sparklers: golden fountains along the stage's edge.
        case 2u: {
            let a = t - s.x * 4.0;
            if a < 0.0 || a > 1.2 { return p; }
            let angle = s.y * TAU;
            let velocity = vec3(cos(angle) * 1.4 * m.x, 4.0 + 2.5 * m.y, sin(angle) * 1.4 * m.x);
            p.position = v.origin + velocity * a + vec3(0.0, -4.9 * a * a, 0.0);
            p.size = 0.035;
            p.colour = vec3(1.0, 0.85, 0.5) * (1.0 - a / 1.2) * 3.0;
        }
        // CO2: white plumes shooting up and spreading.
        case 3u: {
            let a = t - s.x * 1.5;
            if a < 0.0 || a > 1.6 { return p; }
            let life = a / 1.6;
            let spread = vec3(s.y - 0.5, 0.0, m.x - 0.5) * a * 2.2;
            p.position = v.origin + spread + vec3(0.0, 13.0 * dragged(a, 0.9), 0.0);
            p.size = 0.3 + 1.6 * life;
            p.colour = vec3(0.9, 0.95, 1.0) * 0.22 * (1.0 - life);
        }
        // Haze: big soft puffs drifting slowly over the stage, lit in the look's colours.
        case 5u: {
            let drift = vec3(sin(t * 0.07 + s.x * TAU), sin(t * 0.05 + s.y * TAU) * 0.3, cos(t * 0.06 + m.x * TAU));
            p.position = v.origin + drift * vec3(2.5, 1.0, 2.0);
            p.size = 2.2 + 2.0 * m.y;
            let breathe = 0.7 + 0.3 * sin(t * 0.3 + m.z * TAU);
            p.colour = palette(m.w) * 0.012 * breathe;
        }
        // Fireworks: shells over the stage that burst into their colour.
        default: {
            let shell = floor(m.w * 4.0);
            let a = t - shell * 0.45;
            if a < 0.0 { return p; }
            let rise = 1.0;
            if a < rise {
                // The rising trail: a few sparks below the shell.
                if s.x > 0.05 { return p; }
                let k = 1.0 - a / rise;
                p.position = v.origin + vec3(0.0, 20.0 * (1.0 - k * k) - s.y * 1.5, 0.0);
                p.size = 0.06;
                p.colour = vec3(1.0, 0.8, 0.5) * 2.0;
                return p;
            }
            let b = a - rise;
            if b > 3.0 { return p; }
            let z = s.x * 2.0 - 1.0;
            let r = sqrt(max(1.0 - z * z, 0.0));
            let direction = vec3(r * cos(s.y * TAU), z, r * sin(s.y * TAU));
            let top = v.origin + vec3(0.0, 20.0, 0.0);
            p.position = top + direction * 9.0 * dragged(b, 1.6) + vec3(0.0, -1.2 * b * b, 0.0);
            p.size = 0.09;
            p.colour = palette(fract(shell * 0.37 + 0.1)) * 2.5 * (1.0 - b / 3.0);
        }
    }
    return p;
}

@vertex
fn vertex(v: Vertex) -> Out {
    let p = particle(v, burst.state.x, u32(burst.state.y));
    let right = view.world_from_view[0].xyz;
    let up = view.world_from_view[1].xyz;
    let world = p.position + (right * v.corner.x + up * v.corner.y) * p.size;
    var out: Out;
    out.clip = position_world_to_clip(world);
    // Particles right at the lens would fill the picture: fade them out there.
    let near = smoothstep(0.5, 3.0, distance(world, view.world_position));
    out.colour = vec4(p.colour * burst.state.z, near);
    out.corner = v.corner;
    return out;
}

@fragment
fn fragment(in: Out) -> @location(0) vec4<f32> {
    // Round and soft; alpha 0 makes Bevy's premultiplied blend purely additive.
    let fade = max(1.0 - dot(in.corner, in.corner), 0.0);
    return vec4(in.colour.rgb * fade * fade * in.colour.a, 0.0);
}
