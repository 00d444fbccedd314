// Cel shading for idols and the set on the low preset, and MToon-style shading for VRM and
// MMD models on every preset (with MMD's sphere maps): the light rig arrives as a uniform (ambient, then spots with
// position, aim, colour and cone). Each spot mixes the shade colour into the lit colour
// across a toon boundary; then the stage's rim light, MToon's parametric rim and emission.
// Far cheaper than Bevy's physically based shader on a software rasterizer.
#import bevy_pbr::forward_io::VertexOutput
#import bevy_pbr::mesh_view_bindings::view
#import encore::cel_types::Toon

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
@group(#{MATERIAL_BIND_GROUP}) @binding(4) var<uniform> toon: Toon;
@group(#{MATERIAL_BIND_GROUP}) @binding(5) var sphere_texture: texture_2d<f32>;
@group(#{MATERIAL_BIND_GROUP}) @binding(6) var sphere_sampler: sampler;

// Blended materials keep their alpha; the others write an opaque pixel.
fn alpha(value: f32) -> f32 {
    return select(1.0, value, toon.emissive.w > 0.5);
}

@fragment
fn fragment(in: VertexOutput, @builtin(front_facing) front: bool) -> @location(0) vec4<f32> {
    var normal = normalize(in.world_normal);
    if !front {
        normal = -normal;
    }
    let position = in.world_position.xyz;
    let to_eye = normalize(view.world_position - position);

    var lit = base;
    var shade = vec4(toon.shade.rgb, 1.0);
#ifdef VERTEX_COLORS
    lit *= in.color;
    shade *= in.color;
#endif
#ifdef CEL_TEXTURE
#ifdef VERTEX_UVS_A
    // The UV transform (scale and offset, moved by expressions), then MToon's UV animation:
    // a turn about the centre and a scroll, both already times the concert's clock.
    var uv = mat2x2(toon.uv.xy, toon.uv.zw) * in.uv + toon.uv_offset.xy;
    let turn = toon.uv_offset.z;
    if turn != 0.0 {
        let c = cos(turn);
        let s = sin(turn);
        uv = mat2x2(c, s, -s, c) * (uv - 0.5) + 0.5;
    }
    let texel = textureSample(base_texture, base_sampler, uv);
    lit *= texel;
    if toon.shade.w > 0.5 {
        shade *= vec4(texel.rgb, 1.0);
    }
#endif
#endif
#ifdef CEL_SPHERE
    // MikuMikuDance's sphere map: a matcap looked up by the normal as the camera sees it,
    // multiplied into or added onto both sides of the toon boundary.
    let seen = normalize((view.view_from_world * vec4(normal, 0.0)).xyz);
    let sphere = textureSample(sphere_texture, sphere_sampler, vec2(seen.x, -seen.y) * 0.5 + 0.5).rgb;
    if toon.sphere.x > 1.5 {
        lit = vec4(lit.rgb + sphere, lit.a);
        shade = vec4(shade.rgb + sphere * 0.5, shade.a);
    } else if toon.sphere.x > 0.5 {
        lit = vec4(lit.rgb * sphere, lit.a);
        shade = vec4(shade.rgb * sphere, shade.a);
    }
#endif
    if toon.shading.w > 0.0 && lit.a < toon.shading.w {
        discard;
    }
    if toon.shading.z > 0.5 {
        return vec4(lit.rgb, alpha(lit.a));
    }

    var light = rig.ambient.rgb;
    var colour = lit.rgb * rig.ambient.rgb;
    let toony = toon.shading.y;
    for (var index = 0u; index < min(rig.count, MAX_SPOTS); index += 1u) {
        let spot = rig.spots[index];
        let offset = spot.position.xyz - position;
        let distance = length(offset);
        let to_light = offset / max(distance, 1e-4);
        let cone = smoothstep(spot.direction.w, spot.colour.w, dot(-to_light, spot.direction.xyz));
        let falloff = 1.0 / (1.0 + 0.004 * distance * distance);
        let reach = spot.colour.rgb * cone * falloff;
        // The toon boundary: shade below, lit above.
        let shading = smoothstep(-1.0 + toony, 1.0 - toony + 1e-4, dot(normal, to_light) + toon.shading.x);
        colour += reach * mix(shade.rgb, lit.rgb, shading);
        light += reach;
    }
    let facing = clamp(dot(normal, to_eye), 0.0, 1.0);

#ifdef CEL_OUTLINE
    let outline = toon.outline.rgb * mix(vec3(1.0), min(light, vec3(1.5)), toon.outline.w);
    return vec4(outline, alpha(lit.a));
#else
    colour += lit.rgb * rig.rim.rgb * pow(1.0 - facing, 3.0);
    let rim = pow(clamp(1.0 - facing + toon.shape.y, 0.0, 1.0), max(toon.shape.x, 1e-4));
    colour += toon.rim.rgb * rim * mix(vec3(1.0), light, toon.rim.w);
    colour += toon.emissive.rgb;
    return vec4(colour, alpha(lit.a));
#endif
}
