// Cel shading for idols and the set on the low preset: the light rig arrives as a uniform
// (ambient, then spots with position, aim, colour and cone), two tone bands and a rim.
// Far cheaper than Bevy's physically based shader on a software rasterizer.
#import bevy_pbr::forward_io::VertexOutput
#import bevy_pbr::mesh_view_bindings::view

const MAX_SPOTS: u32 = 14u;

struct Spot {
    // xyz position, w unused.
    position: vec4<f32>,
    // xyz aim (unit), w cosine of the outer cone.
    direction: vec4<f32>,
    // rgb colour times level, w cosine of the inner cone.
    colour: vec4<f32>,
};

struct Rig {
    ambient: vec4<f32>,
    rim: vec4<f32>,
    spots: array<Spot, MAX_SPOTS>,
    count: u32,
};

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> base: vec4<f32>;
@group(#{MATERIAL_BIND_GROUP}) @binding(1) var<uniform> rig: Rig;
@group(#{MATERIAL_BIND_GROUP}) @binding(2) var base_texture: texture_2d<f32>;
@group(#{MATERIAL_BIND_GROUP}) @binding(3) var base_sampler: sampler;

@fragment
fn fragment(in: VertexOutput, @builtin(front_facing) front: bool) -> @location(0) vec4<f32> {
    var normal = normalize(in.world_normal);
    if !front {
        normal = -normal;
    }
    let position = in.world_position.xyz;
    let to_eye = normalize(view.world_position - position);
    var light = rig.ambient.rgb;
    for (var index = 0u; index < min(rig.count, MAX_SPOTS); index += 1u) {
        let spot = rig.spots[index];
        let offset = spot.position.xyz - position;
        let distance = length(offset);
        let to_light = offset / max(distance, 1e-4);
        let cone = smoothstep(spot.direction.w, spot.colour.w, dot(-to_light, spot.direction.xyz));
        let facing = dot(normal, to_light);
        // Two bands: lit and shade, with a soft step between.
        let band = 0.25 + 0.75 * smoothstep(0.0, 0.12, facing);
        let falloff = 1.0 / (1.0 + 0.004 * distance * distance);
        light += spot.colour.rgb * cone * band * falloff;
    }
    let rim = pow(1.0 - clamp(dot(normal, to_eye), 0.0, 1.0), 3.0);
    light += rig.rim.rgb * rim;
    var colour = base.rgb;
#ifdef VERTEX_COLORS
    colour *= in.color.rgb;
#endif
#ifdef CEL_TEXTURE
#ifdef VERTEX_UVS_A
    colour *= textureSample(base_texture, base_sampler, in.uv).rgb;
#endif
#endif
    return vec4(colour * light, 1.0);
}
