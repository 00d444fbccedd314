// The cel material's vertex stage: Bevy's mesh vertex shader (morph targets, skinning), and
// for an outline material (CEL_OUTLINE) the inverted hull: each vertex pushed out along its
// normal, by a width in metres or in screen heights.
#import bevy_pbr::{
    mesh_bindings::mesh,
    mesh_functions,
    skinning,
    morph::{morph_position, morph_normal},
    forward_io::{Vertex, VertexOutput},
    mesh_view_bindings::view,
    view_transformations::{position_world_to_clip, direction_world_to_clip},
}
#import encore::cel_types::Toon


@group(#{MATERIAL_BIND_GROUP}) @binding(4) var<uniform> toon: Toon;

#ifdef MORPH_TARGETS
fn morph_vertex(vertex_in: Vertex, instance_index: u32) -> Vertex {
    var vertex = vertex_in;
    let first_vertex = mesh[instance_index].first_vertex_index;
    let vertex_index = vertex.index - first_vertex;
    let weight_count = bevy_pbr::morph::layer_count(instance_index);
    for (var i: u32 = 0u; i < weight_count; i ++) {
        let weight = bevy_pbr::morph::weight_at(i, instance_index);
        if weight == 0.0 {
            continue;
        }
        vertex.position += weight * morph_position(vertex_index, i, instance_index);
#ifdef VERTEX_NORMALS
        vertex.normal += weight * morph_normal(vertex_index, i, instance_index);
#endif
    }
    return vertex;
}
#endif

@vertex
fn vertex(vertex_no_morph: Vertex) -> VertexOutput {
    var out: VertexOutput;
#ifdef MORPH_TARGETS
    var vertex = morph_vertex(vertex_no_morph, vertex_no_morph.instance_index);
#else
    var vertex = vertex_no_morph;
#endif

#ifdef SKINNED
    var world_from_local = skinning::skin_model(
        vertex.joint_indices,
        vertex.joint_weights,
        vertex_no_morph.instance_index
    );
#else
    var world_from_local = mesh_functions::get_world_from_local(vertex_no_morph.instance_index);
#endif

#ifdef VERTEX_NORMALS
#ifdef SKINNED
    out.world_normal = skinning::skin_normals(world_from_local, vertex.normal);
#else
    out.world_normal = mesh_functions::mesh_normal_local_to_world(
        vertex.normal,
        vertex_no_morph.instance_index
    );
#endif
#endif

#ifdef VERTEX_POSITIONS
    out.world_position = mesh_functions::mesh_position_local_to_world(
        world_from_local,
        vec4<f32>(vertex.position, 1.0)
    );
    out.position = position_world_to_clip(out.world_position.xyz);
#ifdef CEL_OUTLINE
#ifdef VERTEX_NORMALS
    let normal = normalize(out.world_normal);
    if toon.shape.w > 0.5 {
        // A width in screen heights: push in clip space, the same number of pixels
        // whatever the distance.
        let aspect = view.viewport.z / max(view.viewport.w, 1.0);
        let towards = direction_world_to_clip(normal).xy * vec2(aspect, 1.0);
        let length = max(length(towards), 1e-6);
        let push = towards / length * toon.shape.z * 2.0 * vec2(1.0 / aspect, 1.0);
        out.position = vec4(out.position.xy + push * out.position.w, out.position.zw);
    } else {
        out.world_position = vec4(out.world_position.xyz + normal * toon.shape.z, 1.0);
        out.position = position_world_to_clip(out.world_position.xyz);
    }
#endif
#endif
#endif

#ifdef VERTEX_UVS_A
    out.uv = vertex.uv;
#endif
#ifdef VERTEX_UVS_B
    out.uv_b = vertex.uv_b;
#endif
#ifdef VERTEX_COLORS
    out.color = vertex.color;
#endif
#ifdef VERTEX_OUTPUT_INSTANCE_INDEX
    out.instance_index = vertex_no_morph.instance_index;
#endif
    return out;
}
